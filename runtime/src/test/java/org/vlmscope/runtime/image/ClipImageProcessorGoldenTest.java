package org.vlmscope.runtime.image;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.vlmscope.core.SafetensorsFile;
import org.vlmscope.core.SafetensorsWriter.NamedTensor;

/**
 * The fixtures' {@code pixel_values} and {@code pixel_values_pad} were computed by transformers 4.45.1's
 * CLIPImageProcessor (with PIL) from each fixture's image.png; reproducing them bit for bit shows the decoder,
 * PIL's resampler, the crop and the float32 arithmetic all match. llava-tiny's image is landscape (480x360,
 * resized to 448x336), llava-phi3-dev's portrait (360x420, resized to 336x392), so both crop axes are covered.
 */
class ClipImageProcessorGoldenTest {
    /** The brief's tolerance; every value is in fact expected to be identical. */
    private static final double TOLERANCE = 1e-6;

    @ParameterizedTest
    @ValueSource(strings = {"llava-tiny", "llava-phi3-dev"})
    void pixelValuesMatchHuggingFace(String fixture) {
        Path dir = golden(fixture);
        ClipImageProcessor processor = ClipImageProcessor.fromConfig(dir.resolve("model/preprocessor_config.json"));
        RgbImage image = ImageDecoder.read(dir.resolve("image.png"));
        try (SafetensorsFile expected = SafetensorsFile.open(dir.resolve("expected.safetensors"))) {
            assertArrayEquals(new long[] {1, 3, 336, 336}, expected.info("pixel_values").shape());
            assertMatches(expected.toFloatArray("pixel_values"), processor.process(image));
            assertMatches(expected.toFloatArray("pixel_values_pad"), processor.processPadded(image));
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"llava-tiny"})
    void pixelValuesTensorIsBatchOfOne(String fixture) {
        Path dir = golden(fixture);
        ClipImageProcessor processor = ClipImageProcessor.fromConfig(dir.resolve("model/preprocessor_config.json"));
        RgbImage image = ImageDecoder.read(dir.resolve("image.png"));
        NamedTensor tensor = processor.pixelValues(image);
        assertEquals("pixel_values", tensor.name());
        assertArrayEquals(new long[] {1, 3, 336, 336}, tensor.shape());
        float[] values = new float[3 * 336 * 336];
        tensor.data().duplicate().order(java.nio.ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(values);
        assertArrayEquals(processor.process(image), values);
        assertArrayEquals(new long[] {1, 3, 336, 336}, processor.pixelValuesPadded(image).shape());
    }

    private static void assertMatches(float[] expected, float[] actual) {
        assertEquals(expected.length, actual.length);
        double max = 0;
        int differing = 0;
        for (int i = 0; i < expected.length; i++) {
            double d = Math.abs(expected[i] - actual[i]);
            max = Math.max(max, d);
            if (d != 0) {
                differing++;
            }
        }
        assertTrue(max <= TOLERANCE, "max |difference| " + max + " over " + differing + " values");
        assertEquals(0, differing, "values differing from Hugging Face (max " + max + ")");
    }

    static Path golden(String fixture) {
        for (Path dir = Path.of("").toAbsolutePath(); dir != null; dir = dir.getParent()) {
            Path candidate = dir.resolve("testdata").resolve("golden").resolve(fixture);
            if (Files.isDirectory(candidate)) {
                return candidate;
            }
        }
        throw new IllegalStateException("testdata/golden/" + fixture + " not found above "
                + Path.of("").toAbsolutePath());
    }
}
