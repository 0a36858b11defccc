package org.vlmscope.runtime.image;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.HexFormat;
import org.junit.jupiter.api.Test;

class PilResizeTest {
    /**
     * Shrinking 4 pixels to 2 by hand, with Pillow's fixed-point arithmetic.
     *
     * <p>scale = 4 / 2 = 2, so the kernel (support 2) is stretched to 4 input pixels and its argument halved.
     * Output 0 is centred at 1.0; its window is [max(0, (int)(1 - 4 + 0.5)), min(4, (int)(1 + 4 + 0.5))) = [0, 4),
     * with taps at (x + 0.5 - 1) / 2 = -0.25, 0.25, 0.75, 1.25:
     * k(0.25) = (1.5 * 0.25 - 2.5) * 0.25^2 + 1 = 111/128, k(0.75) = (1.5 * 0.75 - 2.5) * 0.75^2 + 1 = 29/128,
     * k(1.25) = (((1.25 - 5) * 1.25 + 8) * 1.25 - 4) * -0.5 = -9/128. They sum to 242/128, so the weights are
     * 111/242, 111/242, 29/242, -9/242; times 2^22, rounded away from zero: 1923834, 1923834, 502623, -155987.
     * Output 1 (centre 3.0, window [0, 4)) has the same weights mirrored.
     *
     * <p>Row (10, 50, 200, 255):
     * out0 = (2^21 + 10 * 1923834 + 50 * 1923834 + 200 * 502623 - 255 * 155987) >> 22 = 178275107 >> 22 = 42
     * (42.50); out1 = (2^21 - 10 * 155987 + 50 * 502623 + 200 * 1923834 + 255 * 1923834) >> 22
     * = 901012902 >> 22 = 214 (214.82).
     */
    @Test
    void shrinksARowByHand() {
        RgbImage row = gray(4, 1, 10, 50, 200, 255);
        RgbImage out = PilResize.bicubic(row, 2, 1);
        assertEquals(2, out.width());
        assertEquals(1, out.height());
        assertArrayEquals(new byte[] {42, 42, 42, (byte) 214, (byte) 214, (byte) 214}, out.rgb());
    }

    /**
     * The same weights down a column, on three different channels: (v, 0, 255 - v) for v = 10, 50, 200, 255.
     * Blue is (245, 205, 55, 0): out0 = (2^21 + 245 * 1923834 + 205 * 1923834 + 55 * 502623 - 0) >> 22
     * = 895466717 >> 22 = 213 (213.49), out1 = (2^21 - 245 * 155987 + 205 * 502623 + 55 * 1923834) >> 22
     * = 172728922 >> 22 = 41 (41.18). Not 255 - 42 and 255 - 214: each channel rounds on its own.
     */
    @Test
    void shrinksAColumnByHand() {
        int[] v = {10, 50, 200, 255};
        byte[] rgb = new byte[12];
        for (int i = 0; i < 4; i++) {
            rgb[i * 3] = (byte) v[i];
            rgb[i * 3 + 2] = (byte) (255 - v[i]);
        }
        RgbImage out = PilResize.bicubic(new RgbImage(1, 4, rgb), 1, 2);
        assertArrayEquals(new byte[] {42, 0, (byte) 213, (byte) 214, 0, 41}, out.rgb());
    }

    /**
     * Pillow 9.4's {@code Image.resize(size, Image.BICUBIC)} of the pattern below, both an enlargement (kernel at
     * its natural width) and a 5.7x reduction (kernel stretched over 11 input pixels and more).
     */
    @Test
    void matchesPillowOnEnlargementAndStrongReduction() {
        assertArrayEquals(HexFormat.of().parseHex("002e630d42762b6098457abc5f9ed77dc0f491d3ff3165ad4484cd67b1b491c648ae"
                + "5b5fcd4485e2679b81bc8c9d96ad9e899474a92b904145b72e6fd0558ab9fe15e06c29ad014e003577196099498cc065a8"
                + "dd"), PilResize.bicubic(pattern(5, 3), 7, 4).rgb());
        assertArrayEquals(HexFormat.of().parseHex("817f838a837f8c78817981887e92708681717a8e908180827c757b7d68808674"
                + "869396737b7f827d878e82797c747a7871847787857e8e94797f7d7d7b84877f86797c82786975827385788e9a73818a"
                + "7d7b8392857f7c7e947276838e80767a858b6a877d857d828d"),
                PilResize.bicubic(pattern(40, 30), 7, 5).rgb());
    }

    @Test
    void keepsAnImageOfTheTargetSize() {
        RgbImage image = pattern(6, 5);
        assertSame(image, PilResize.bicubic(image, 6, 5));
        // One axis unchanged: only the other is resampled, so rows keep their values exactly.
        RgbImage wider = PilResize.bicubic(gray(2, 3, 7, 7, 90, 90, 200, 200), 5, 3);
        assertEquals(7, wider.sample(2, 0, 1));
        assertEquals(90, wider.sample(4, 1, 0));
        assertEquals(200, wider.sample(0, 2, 2));
    }

    @Test
    void refusesAnEmptyTarget() {
        assertThrows(IllegalArgumentException.class, () -> PilResize.bicubic(pattern(2, 2), 0, 2));
    }

    /** Channel c of pixel (x, y) = (37x + 91y + 53c + x*x*y) mod 256, the pattern given to Pillow. */
    private static RgbImage pattern(int width, int height) {
        byte[] rgb = new byte[width * height * 3];
        for (int y = 0; y < height; y++) {
            for (int x = 0; x < width; x++) {
                for (int c = 0; c < 3; c++) {
                    rgb[(y * width + x) * 3 + c] = (byte) ((x * 37 + y * 91 + c * 53 + x * x * y) % 256);
                }
            }
        }
        return new RgbImage(width, height, rgb);
    }

    private static RgbImage gray(int width, int height, int... values) {
        byte[] rgb = new byte[width * height * 3];
        for (int i = 0; i < values.length; i++) {
            rgb[i * 3] = rgb[i * 3 + 1] = rgb[i * 3 + 2] = (byte) values[i];
        }
        return new RgbImage(width, height, rgb);
    }
}
