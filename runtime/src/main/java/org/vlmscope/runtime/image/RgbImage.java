package org.vlmscope.runtime.image;

import java.util.Arrays;

/**
 * An 8-bit RGB image, the equivalent of a PIL image in mode {@code "RGB"}: {@code rgb} holds
 * {@code width * height * 3} bytes, row by row, each pixel as R, G, B. The array is shared, not copied: the
 * preprocessing chain hands images of tens of megabytes from step to step.
 */
public record RgbImage(int width, int height, byte[] rgb) {
    public RgbImage {
        if (width <= 0 || height <= 0) {
            throw new IllegalArgumentException("image size must be positive, got " + width + "x" + height);
        }
        if (rgb.length != (long) width * height * 3) {
            throw new IllegalArgumentException("a " + width + "x" + height + " RGB image needs "
                    + (long) width * height * 3 + " bytes, got " + rgb.length);
        }
    }

    /** A {@code width x height} image filled with one colour, each channel 0..255. */
    public static RgbImage filled(int width, int height, int red, int green, int blue) {
        byte[] rgb = new byte[Math.multiplyExact(Math.multiplyExact(width, height), 3)];
        for (int i = 0; i < rgb.length; i += 3) {
            rgb[i] = (byte) red;
            rgb[i + 1] = (byte) green;
            rgb[i + 2] = (byte) blue;
        }
        return new RgbImage(width, height, rgb);
    }

    /** Channel {@code c} (0 = R, 1 = G, 2 = B) of pixel ({@code x}, {@code y}), 0..255. */
    public int sample(int x, int y, int c) {
        return rgb[(y * width + x) * 3 + c] & 0xFF;
    }

    /**
     * This image pasted at ({@code left}, {@code top}) onto a {@code canvasWidth x canvasHeight} canvas of
     * {@code background} (R, G, B), as PIL's {@code Image.new(...).paste(im, (left, top))}; parts outside the
     * canvas are cut off.
     */
    public RgbImage pastedOnto(int canvasWidth, int canvasHeight, int[] background, int left, int top) {
        RgbImage canvas = filled(canvasWidth, canvasHeight, background[0], background[1], background[2]);
        int x0 = Math.max(0, left);
        int x1 = Math.min(canvasWidth, left + width);
        for (int y = Math.max(0, top); y < Math.min(canvasHeight, top + height) && x0 < x1; y++) {
            System.arraycopy(rgb, ((y - top) * width + (x0 - left)) * 3, canvas.rgb, (y * canvasWidth + x0) * 3,
                    (x1 - x0) * 3);
        }
        return canvas;
    }

    @Override
    public boolean equals(Object other) {
        return other instanceof RgbImage o && o.width == width && o.height == height && Arrays.equals(o.rgb, rgb);
    }

    @Override
    public int hashCode() {
        return 31 * (31 * width + height) + Arrays.hashCode(rgb);
    }

    @Override
    public String toString() {
        return "RgbImage[" + width + "x" + height + "]";
    }
}
