package org.vlmscope.runtime.image;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.vlmscope.core.VlmscopeException;

/**
 * Configuration handling and geometry; the numbers themselves are pinned by {@link ClipImageProcessorGoldenTest}.
 * Expected normalised values were computed with numpy in float32, as HF does: for channel 0,
 * {@code (np.float32(255 * (1/255)) - np.float32(0.48145466)) / np.float32(0.26862954) = 1.9303361} and
 * {@code (0 - mean) / std = -1.7922626}.
 */
class ClipImageProcessorTest {
    private static final float WHITE_R = 1.9303361f;
    private static final float BLACK_R = -1.7922626f;
    private static final float BLACK_G = -1.7520971f;
    private static final float BLACK_B = -1.4802198f;

    @TempDir
    Path dir;

    @Test
    void legacyIntegerSizesMeanShortestEdgeAndSquareCrop() throws IOException {
        // openai/clip-vit-large-patch14-336 writes "size": 336 and "crop_size": 336.
        ClipImageProcessor legacy = processor("{\"size\": 12, \"crop_size\": 10}");
        ClipImageProcessor modern = processor("{\"size\": {\"shortest_edge\": 12}, "
                + "\"crop_size\": {\"height\": 10, \"width\": 10}}");
        RgbImage image = pattern(30, 20);
        assertArrayEquals(modern.process(image), legacy.process(image));
        assertArrayEquals(new long[] {1, 3, 10, 10}, legacy.pixelValues(image).shape());
    }

    @Test
    void shortestEdgeResizeTruncatesTheLongSideLikePython() throws IOException {
        // 30x20 -> short 20 becomes 7, long = int(7 * 30 / 20) = int(10.5) = 10; no crop keeps that size.
        ClipImageProcessor p = processor("{\"size\": {\"shortest_edge\": 7}, \"do_center_crop\": false}");
        assertArrayEquals(new long[] {1, 3, 7, 10}, p.pixelValues(pattern(30, 20)).shape());
        assertArrayEquals(new long[] {1, 3, 10, 7}, p.pixelValues(pattern(20, 30)).shape());
    }

    @Test
    void exactHeightAndWidthIgnoreTheAspectRatio() throws IOException {
        ClipImageProcessor p = processor("{\"size\": {\"height\": 6, \"width\": 4}, \"do_center_crop\": false, "
                + "\"do_normalize\": false, \"do_rescale\": false}");
        RgbImage image = pattern(9, 5);
        float[] values = p.process(image);
        RgbImage resized = PilResize.bicubic(image, 4, 6);
        assertEquals(3 * 6 * 4, values.length);
        // Channel-first: channel 2, row 5, column 3.
        assertEquals(resized.sample(3, 5, 2), values[2 * 24 + 5 * 4 + 3]);
        assertEquals(resized.sample(0, 1, 0), values[4]);
    }

    @Test
    void missingFieldsTakeClipDefaults() throws IOException {
        ClipImageProcessor p = processor("{}");
        float[] values = p.process(RgbImage.filled(300, 250, 255, 0, 0));
        assertEquals(3 * 224 * 224, values.length);
        assertEquals(WHITE_R, values[0]);
        assertEquals(BLACK_G, values[224 * 224]);
        assertEquals(BLACK_B, values[2 * 224 * 224 + 100]);
    }

    @Test
    void cropLargerThanTheImagePadsWithZeroPixelsBeforeNormalising() throws IOException {
        // 8x4 image, shortest edge already 4 (no resize), crop 6x6. HF: top = (4 - 6) // 2 = -1, left = 1; the
        // image is zero-padded by ceil(2 / 2) = 1 row above and below, so output row 0 and row 5 are zeros
        // (normalised to -mean/std) and rows 1..4 are image rows 0..3, columns 1..6.
        ClipImageProcessor p = processor("{\"size\": {\"shortest_edge\": 4}, "
                + "\"crop_size\": {\"height\": 6, \"width\": 6}}");
        RgbImage image = RgbImage.filled(8, 4, 255, 255, 255);
        image.rgb()[(2 * 8 + 1) * 3] = 0; // pixel (1, 2) red channel black: lands at output (0, 3)
        float[] values = p.process(image);
        assertEquals(3 * 36, values.length);
        for (int x = 0; x < 6; x++) {
            assertEquals(BLACK_R, values[x], "top padding");
            assertEquals(BLACK_R, values[5 * 6 + x], "bottom padding");
            assertEquals(BLACK_B, values[2 * 36 + 5 * 6 + x], "bottom padding, blue");
        }
        assertEquals(BLACK_R, values[3 * 6]);
        assertEquals(WHITE_R, values[3 * 6 + 1]);
        assertEquals(WHITE_R, values[6]);
    }

    @Test
    void padToSquareCentresOnTheMeanColour() throws IOException {
        ClipImageProcessor p = processor("{}");
        // int(0.48145466 * 255) = 122, int(0.4578275 * 255) = 116, int(0.40821073 * 255) = 104.
        RgbImage wide = p.padToSquare(RgbImage.filled(5, 2, 1, 2, 3));
        assertEquals(5, wide.width());
        assertEquals(5, wide.height());
        // Offset (5 - 2) // 2 = 1: rows 1 and 2 hold the image, rows 0, 3 and 4 the background.
        int[] rows = {122, 1, 1, 122, 122};
        for (int y = 0; y < 5; y++) {
            assertEquals(rows[y], wide.sample(4, y, 0), "row " + y);
        }
        assertEquals(104, wide.sample(0, 4, 2));
        RgbImage tall = p.padToSquare(RgbImage.filled(1, 3, 9, 9, 9));
        assertEquals(116, tall.sample(0, 1, 1));
        assertEquals(9, tall.sample(1, 1, 1));
        assertEquals(116, tall.sample(2, 1, 1));
        RgbImage square = RgbImage.filled(3, 3, 0, 0, 0);
        assertSame(square, p.padToSquare(square));
    }

    @Test
    void badConfigsAreNamed() throws IOException {
        Path missing = dir.resolve("absent.json");
        assertMessage(assertThrows(VlmscopeException.class, () -> ClipImageProcessor.fromConfig(missing)),
                missing.toString(), "does not exist");
        assertConfigError("{\"size\": ", "not valid JSON");
        assertConfigError("[1, 2]", "JSON object");
        assertConfigError("{\"resample\": 2}", "resample 2", "bicubic");
        assertConfigError("{\"image_processor_type\": \"Qwen2VLImageProcessor\"}", "Qwen2VLImageProcessor",
                "CLIPImageProcessor");
        assertConfigError("{\"size\": {\"longest_edge\": 5}}", "size", "shortest_edge");
        assertConfigError("{\"crop_size\": {\"height\": 5}}", "crop_size");
        assertConfigError("{\"size\": {\"shortest_edge\": 0}}", "size.shortest_edge", "positive");
        assertConfigError("{\"image_mean\": [0.5, 0.5]}", "image_mean", "3 numbers");
        assertConfigError("{\"do_resize\": \"yes\"}", "do_resize", "true or false");
    }

    private void assertConfigError(String json, String... parts) throws IOException {
        Path file = Files.writeString(dir.resolve("preprocessor_config.json"), json);
        VlmscopeException e = assertThrows(VlmscopeException.class, () -> ClipImageProcessor.fromConfig(file));
        assertMessage(e, file.toString());
        assertMessage(e, parts);
    }

    private static void assertMessage(Throwable e, String... parts) {
        for (String part : parts) {
            assertTrue(e.getMessage().contains(part), "message lacks '" + part + "': " + e.getMessage());
        }
    }

    private ClipImageProcessor processor(String json) throws IOException {
        return ClipImageProcessor.fromConfig(Files.writeString(dir.resolve("preprocessor_config.json"), json));
    }

    private static RgbImage pattern(int width, int height) {
        byte[] rgb = new byte[width * height * 3];
        for (int i = 0; i < rgb.length; i++) {
            rgb[i] = (byte) (i * 29 + i / 7);
        }
        return new RgbImage(width, height, rgb);
    }
}
