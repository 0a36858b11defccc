package org.vlmscope.runtime.image;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.vlmscope.core.SafetensorsFile;
import org.vlmscope.core.VlmscopeException;

/**
 * Qwen2VLImageProcessor against the qwen2vl-dev fixture (transformers 4.45.1 with PIL computed its pixel_values
 * and image_grid_thw from image.png) and smart_resize against values worked out by hand from its definition.
 */
class Qwen2VlImageProcessorTest {
    private static final int FACTOR = 28;
    private static final long HF_MIN = 56 * 56;
    private static final long HF_MAX = 28 * 28 * 1280;

    @Test
    void pixelRowsAndGridMatchHuggingFaceBitForBit() {
        Path dir = QwenFixture.dir();
        Qwen2VlImageProcessor processor = Qwen2VlImageProcessor.fromConfig(dir.resolve("model/preprocessor_config.json"));
        VisionInput vision = processor.vision(ImageDecoder.read(dir.resolve("image.png")));
        try (SafetensorsFile expected = SafetensorsFile.open(dir.resolve("expected.safetensors"))) {
            assertArrayEquals(new long[] {192, 1176}, expected.info("pixel_values").shape());
            assertArrayEquals(expected.info("pixel_values").shape(), vision.pixelValues().shape());
            long[] thw = expected.toLongArray("image_grid_thw");
            assertArrayEquals(new long[] {1, 12, 16}, thw);
            assertEquals(List.of(new ImageGrid((int) thw[0], (int) thw[1], (int) thw[2])), vision.grids());
            float[] want = expected.toFloatArray("pixel_values");
            float[] got = new float[want.length];
            vision.pixelValues().data().duplicate().order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(got);
            double max = 0;
            int differing = 0;
            for (int i = 0; i < want.length; i++) {
                double d = Math.abs(want[i] - got[i]);
                max = Math.max(max, d);
                differing += d != 0 ? 1 : 0;
            }
            assertEquals(0, differing, "values differing from Hugging Face, max |difference| " + max);
        }
    }

    /**
     * Worked by hand from smart_resize's definition (round half to even, then floor when above max_pixels, ceil
     * when below min_pixels), factor 28:
     * <ul>
     * <li>300x400 (h x w), the fixture's [3136, 38416]: round(10.71)=11 -> 308, round(14.29)=14 -> 392;
     * 308*392 = 120736 > 38416, beta = sqrt(120000/38416) = 1.76740; floor(300/1.7674/28 = 6.06) = 6 -> 168,
     * floor(400/1.7674/28 = 8.08) = 8 -> 224. Grid 12x16, as the fixture's image_grid_thw.</li>
     * <li>2000x3000, HF's defaults [3136, 1003520]: 1988*2996 > max, beta = sqrt(6e6/1003520) = 2.44519;
     * floor(29.21) = 29 -> 812, floor(43.82) = 43 -> 1204.</li>
     * <li>28x28: 784 < 3136, beta = sqrt(3136/784) = 2; ceil(2) = 2 -> 56 on both sides.</li>
     * <li>30x40: round(1.07) = round(1.43) = 1 -> 28x28 = 784 < 3136; beta = sqrt(3136/1200) = 1.61658;
     * ceil(1.73) = 2 -> 56, ceil(2.31) = 3 -> 84.</li>
     * <li>42x70: 1.5 and 2.5 round half to even, to 2 and 2 -> 56x56 = 3136, not below min_pixels
     * (rounding half up would give 56x84).</li>
     * <li>1000x50 (tall): round(35.71) = 36 -> 1008, round(1.79) = 2 -> 56; 56448 within bounds.</li>
     * <li>28x5600 (aspect ratio exactly 200, accepted): 28 x 5600 = 156800 within bounds.</li>
     * <li>56x56: 3136 equals min_pixels, kept.</li>
     * </ul>
     */
    @ParameterizedTest
    @CsvSource({
        "300, 400, 3136, 38416, 168, 224",
        "2000, 3000, 3136, 1003520, 812, 1204",
        "28, 28, 3136, 1003520, 56, 56",
        "30, 40, 3136, 1003520, 56, 84",
        "42, 70, 3136, 1003520, 56, 56",
        "1000, 50, 3136, 1003520, 1008, 56",
        "28, 5600, 3136, 1003520, 28, 5600",
        "56, 56, 3136, 1003520, 56, 56",
    })
    void smartResizeGivesTheHandComputedSizes(int h, int w, long min, long max, int wantH, int wantW) {
        assertArrayEquals(new int[] {wantH, wantW}, Qwen2VlImageProcessor.smartResize(h, w, FACTOR, min, max));
    }

    @Test
    void aspectRatioAbove200IsRefusedAsHuggingFaceDoes() {
        VlmscopeException e = assertThrows(VlmscopeException.class,
                () -> Qwen2VlImageProcessor.smartResize(28, 5629, FACTOR, HF_MIN, HF_MAX));
        assertTrue(e.getMessage().contains("aspect ratio 201.0 exceeds 200"), e.getMessage());
        assertThrows(VlmscopeException.class, () -> Qwen2VlImageProcessor.smartResize(6000, 29, FACTOR, HF_MIN, HF_MAX));
    }

    /** transformers 4.45 raises when either side is shorter than the factor, before any min_pixels upscaling. */
    @Test
    void aSideShorterThanTheFactorIsRefused() {
        VlmscopeException e = assertThrows(VlmscopeException.class,
                () -> Qwen2VlImageProcessor.smartResize(27, 100, FACTOR, HF_MIN, HF_MAX));
        assertTrue(e.getMessage().contains("100x27") && e.getMessage().contains("at least 28"), e.getMessage());
        assertFalse(e.getMessage().contains("\n"));
    }

    @Test
    void processingATinyOrExtremeImageNamesTheProblem() {
        Qwen2VlImageProcessor processor = Qwen2VlImageProcessor.fromConfig(
                QwenFixture.dir().resolve("model/preprocessor_config.json"));
        assertThrows(VlmscopeException.class, () -> processor.vision(RgbImage.filled(20, 40, 1, 2, 3)));
        assertThrows(VlmscopeException.class, () -> processor.vision(RgbImage.filled(30 * 201 + 1, 30, 1, 2, 3)));
    }

    /**
     * Patch order by construction: a 56x28 image (after resize: no resize is needed, 56x28 lies within bounds and
     * is a multiple of 28) gives a 2x4 patch grid; each patch filled with its own grey level shows that rows come
     * window by window, row-major inside each 2x2 window, and the frame is repeated over the temporal axis.
     */
    @Test
    void rowsFollowTheMergeWindowsAndRepeatTheFrame(@TempDir Path tmp) throws IOException {
        Path config = tmp.resolve("preprocessor_config.json");
        Files.writeString(config, "{\"do_normalize\": false, \"do_rescale\": false, \"min_pixels\": 784,"
                + " \"max_pixels\": 100000}");
        Qwen2VlImageProcessor processor = Qwen2VlImageProcessor.fromConfig(config);
        int width = 56;
        int height = 28;
        byte[] rgb = new byte[width * height * 3];
        for (int y = 0; y < height; y++) {
            for (int x = 0; x < width; x++) {
                int level = 10 * (y / 14) + x / 14; // patch (row, col) -> 10 * row + col
                for (int c = 0; c < 3; c++) {
                    rgb[(y * width + x) * 3 + c] = (byte) (level + 100 * c);
                }
            }
        }
        VisionInput v = processor.vision(new RgbImage(width, height, rgb));
        assertEquals(List.of(new ImageGrid(1, 2, 4)), v.grids());
        assertArrayEquals(new long[] {8, 1176}, v.pixelValues().shape());
        float[] rows = new float[8 * 1176];
        v.pixelValues().data().duplicate().order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(rows);
        // Window (0,0) holds patches (0,0) (0,1) (1,0) (1,1); window (0,1) holds (0,2) (0,3) (1,2) (1,3).
        int[] expectedLevels = {0, 1, 10, 11, 2, 3, 12, 13};
        for (int r = 0; r < 8; r++) {
            for (int c = 0; c < 3; c++) {
                for (int t = 0; t < 2; t++) {
                    int start = r * 1176 + (c * 2 + t) * 196;
                    for (int k = 0; k < 196; k++) {
                        assertEquals(expectedLevels[r] + 100 * c, rows[start + k], 0.0, "row " + r + " channel " + c);
                    }
                }
            }
        }
    }
}
