package org.vlmscope.runtime.image;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.vlmscope.core.VlmscopeException;

/**
 * Fuzzing findings on images and preprocessor configs: a PNG with a bad header CRC was accepted; a valid 1x5000 PNG
 * and {@code shortest_edge} 1e9 ran out of memory in the resizer; a 100000 crop overflowed an int;
 * {@code image_std} 0 gave NaN logits with exit code 0; {@code rescale_factor} -1 was accepted.
 */
class ImageBadInputTest {
    @TempDir
    Path dir;

    private Path png(int width, int height, String name) throws IOException {
        BufferedImage image = new BufferedImage(width, height, BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < height; y++) {
            for (int x = 0; x < width; x++) {
                image.setRGB(x, y, (x * 37 + y * 11) & 0xFFFFFF);
            }
        }
        Path file = dir.resolve(name);
        assertTrue(ImageIO.write(image, "png", file.toFile()));
        return file;
    }

    private static String refused(Path named, Runnable action, String... parts) {
        VlmscopeException e = assertThrows(VlmscopeException.class, action::run);
        String m = e.getMessage();
        assertTrue(m.contains(named.toString()), m);
        assertFalse(m.contains("\n"), m);
        for (String part : parts) {
            assertTrue(m.contains(part), "message lacks '" + part + "': " + m);
        }
        return m;
    }

    private ClipImageProcessor processor(String json) throws IOException {
        return ClipImageProcessor.fromConfig(Files.writeString(dir.resolve("preprocessor_config.json"), json));
    }

    private void configRefused(String json, String... parts) throws IOException {
        Path file = Files.writeString(dir.resolve("preprocessor_config.json"), json);
        refused(file, () -> ClipImageProcessor.fromConfig(file), parts);
    }

    @Test
    void pngWithABadHeaderCrcIsRefused() throws IOException {
        Path good = png(8, 8, "good.png");
        byte[] bytes = Files.readAllBytes(good);
        // IHDR: length (8..11), type (12..15), 13 data bytes (16..28), CRC (29..32).
        bytes[32] ^= 0x01;
        Path bad = Files.write(dir.resolve("bad-crc.png"), bytes);
        refused(bad, () -> ImageDecoder.read(bad), "broken PNG", "IHDR", "CRC");
        assertTrue(ImageDecoder.read(good).width() == 8, "the untouched file still reads");
    }

    @Test
    void pngWithABadDataCrcIsRefused() throws IOException {
        byte[] bytes = Files.readAllBytes(png(8, 8, "good.png"));
        // The last 12 bytes are IEND (length, type, CRC); the 4 before them are the IDAT chunk's CRC.
        bytes[bytes.length - 13] ^= 0x40;
        Path bad = Files.write(dir.resolve("bad-idat.png"), bytes);
        refused(bad, () -> ImageDecoder.read(bad), "broken PNG", "IDAT");
    }

    /** 1x5000 resized by its shortest edge to 336 would be 336x1680000 pixels (1.7 GB as bytes). */
    @Test
    void anExtremeAspectRatioIsRefusedBeforeResizing() throws IOException {
        Path tall = png(1, 5000, "tall.png");
        ClipImageProcessor p = processor("{\"size\": {\"shortest_edge\": 336}, "
                + "\"crop_size\": {\"height\": 336, \"width\": 336}}");
        RgbImage image = ImageDecoder.read(tall);
        Path config = dir.resolve("preprocessor_config.json");
        assertTimeoutPreemptively(Duration.ofSeconds(20), () -> refused(config, () -> p.pixelValues(image),
                "1x5000", "too extreme", "50,000,000"));
        // Shrinking a long strip to a few pixels needs weight tables as long as the strip times the shrink factor.
        ClipImageProcessor exact = processor("{\"size\": {\"height\": 1, \"width\": 1}, \"do_center_crop\": false}");
        RgbImage strip = RgbImage.filled(20_000_000, 1, 1, 2, 3);
        assertTimeoutPreemptively(Duration.ofSeconds(20), () -> refused(config, () -> exact.process(strip),
                "too extreme"));
    }

    @Test
    void absurdResizeAndCropSizesAreRefusedWhenTheConfigIsRead() throws IOException {
        configRefused("{\"size\": {\"shortest_edge\": 1000000000}}", "size.shortest_edge", "up to 4096");
        configRefused("{\"crop_size\": 100000}", "crop_size is 100000", "up to 4096");
        configRefused("{\"crop_size\": {\"height\": 336, \"width\": 100000}}", "crop_size.width");
        configRefused("{\"size\": {\"height\": 5000, \"width\": 10}}", "size.height");
    }

    @Test
    void aZeroStdIsRefused() throws IOException {
        configRefused("{\"image_std\": 0}", "image_std", "non-zero std");
        configRefused("{\"image_std\": [0.26, 0.0, 0.27]}", "image_std", "non-zero std");
        configRefused("{\"image_mean\": [0.5, 1e400, 0.5]}", "image_mean", "finite");
        // Without normalisation the std is never used, as in HF.
        assertArrayEquals(new long[] {1, 3, 2, 2}, processor("{\"image_std\": 0, \"do_normalize\": false, "
                + "\"size\": 2, \"crop_size\": 2}").pixelValues(RgbImage.filled(2, 2, 0, 0, 0)).shape());
    }

    @Test
    void aNonPositiveRescaleFactorIsRefused() throws IOException {
        configRefused("{\"rescale_factor\": -1}", "rescale_factor is -1", "positive");
        configRefused("{\"rescale_factor\": 0}", "rescale_factor is 0", "positive");
    }
}
