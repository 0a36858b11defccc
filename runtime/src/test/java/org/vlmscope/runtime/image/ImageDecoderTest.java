package org.vlmscope.runtime.image;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.Transparency;
import java.awt.color.ColorSpace;
import java.awt.image.BufferedImage;
import java.awt.image.ComponentColorModel;
import java.awt.image.DataBuffer;
import java.awt.image.IndexColorModel;
import java.awt.image.Raster;
import java.awt.image.WritableRaster;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.zip.CRC32;
import javax.imageio.IIOImage;
import javax.imageio.ImageIO;
import javax.imageio.ImageWriteParam;
import javax.imageio.ImageWriter;
import javax.imageio.stream.ImageOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.vlmscope.core.VlmscopeException;

/**
 * Decoding against what PIL's {@code Image.open(f).convert("RGB")} gives. Small images are written here with
 * javax.imageio; the expected pixels follow from PIL's documented conversions (alpha dropped, gray replicated,
 * palette looked up, 16-bit RGB keeps the high byte, 16-bit gray clamps, 4-component JPEG inverted then
 * {@code cmyk2rgb}). The JPEGs written here are quality 1.0 images made of flat 8x8 or 16x16 blocks, so every
 * quantiser is 1 and only the colour transforms can change a value, which the comments work out by hand.
 *
 * <p>The fixtures under {@code src/test/resources/org/vlmscope/runtime/image} carry PIL's own output: {@code
 * photo-420.jpg} and its progressive twin (Pillow 9.4 with libjpeg-turbo 2.1.5, quality 90, 4:2:0, a 33x27
 * gradient with noise), {@code cmyk-adobe.jpg} (Pillow's CMYK save: Adobe marker, transform 0) and {@code
 * cmyk-ycck.jpg} (written by the JDK encoder with an Adobe transform-2 marker, so stored as YCCK); each {@code
 * .rgb} file is Pillow's {@code convert("RGB")} of it, raw bytes.
 */
class ImageDecoderTest {
    @TempDir
    Path dir;

    // ---- PNG ------------------------------------------------------------------------------------------------

    @Test
    void png8BitRgbIsReadAsStored() throws IOException {
        BufferedImage image = new BufferedImage(3, 2, BufferedImage.TYPE_INT_RGB);
        int[] colors = {0x000000, 0xFF0000, 0x00FF00, 0x0000FF, 0x123456, 0xFFFFFF};
        for (int i = 0; i < colors.length; i++) {
            image.setRGB(i % 3, i / 3, colors[i]);
        }
        Path file = png(image, "rgb.png", 8, 2);
        RgbImage rgb = ImageDecoder.read(file);
        assertEquals(3, rgb.width());
        assertEquals(2, rgb.height());
        for (int i = 0; i < colors.length; i++) {
            assertPixel(rgb, i % 3, i / 3, colors[i] >> 16 & 0xFF, colors[i] >> 8 & 0xFF, colors[i] & 0xFF);
        }
    }

    @Test
    void pngAlphaIsDroppedNotComposited() throws IOException {
        BufferedImage image = new BufferedImage(3, 1, BufferedImage.TYPE_INT_ARGB);
        image.setRGB(0, 0, 0x00_10_20_30); // fully transparent: PIL keeps the colour, not black or white
        image.setRGB(1, 0, 0x80_C8_64_0A);
        image.setRGB(2, 0, 0xFF_01_02_03);
        RgbImage rgb = ImageDecoder.read(png(image, "rgba.png", 8, 6));
        assertPixel(rgb, 0, 0, 0x10, 0x20, 0x30);
        assertPixel(rgb, 1, 0, 0xC8, 0x64, 0x0A);
        assertPixel(rgb, 2, 0, 1, 2, 3);
    }

    @Test
    void pngGrayIsReplicatedWithoutGammaConversion() throws IOException {
        // Java2D's getRGB would map gray through a linear-to-sRGB curve (50 -> 124); PIL copies the value.
        BufferedImage image = new BufferedImage(4, 1, BufferedImage.TYPE_BYTE_GRAY);
        image.getRaster().setPixels(0, 0, 4, 1, new int[] {0, 50, 128, 255});
        RgbImage rgb = ImageDecoder.read(png(image, "gray.png", 8, 0));
        assertPixel(rgb, 0, 0, 0, 0, 0);
        assertPixel(rgb, 1, 0, 50, 50, 50);
        assertPixel(rgb, 2, 0, 128, 128, 128);
        assertPixel(rgb, 3, 0, 255, 255, 255);
    }

    @Test
    void pngGrayAlphaKeepsGray() throws IOException {
        ComponentColorModel model = new ComponentColorModel(ColorSpace.getInstance(ColorSpace.CS_GRAY), true,
                false, Transparency.TRANSLUCENT, DataBuffer.TYPE_BYTE);
        WritableRaster raster = model.createCompatibleWritableRaster(2, 1);
        raster.setPixels(0, 0, 2, 1, new int[] {100, 0, 200, 255});
        RgbImage rgb = ImageDecoder.read(png(new BufferedImage(model, raster, false, null), "la.png", 8, 4));
        assertPixel(rgb, 0, 0, 100, 100, 100);
        assertPixel(rgb, 1, 0, 200, 200, 200);
    }

    @Test
    void pngPaletteTakesPaletteColoursIgnoringTransparency() throws IOException {
        byte[] r = {10, 40, 70, (byte) 250};
        byte[] g = {20, 50, 80, 5};
        byte[] b = {30, 60, 90, (byte) 128};
        byte[] a = {0, (byte) 128, (byte) 255, (byte) 255};
        IndexColorModel palette = new IndexColorModel(8, 4, r, g, b, a);
        BufferedImage image = new BufferedImage(4, 1, BufferedImage.TYPE_BYTE_INDEXED, palette);
        image.getRaster().setPixels(0, 0, 4, 1, new int[] {3, 0, 2, 1});
        RgbImage rgb = ImageDecoder.read(png(image, "palette.png", 8, 3));
        assertPixel(rgb, 0, 0, 250, 5, 128);
        assertPixel(rgb, 1, 0, 10, 20, 30);
        assertPixel(rgb, 2, 0, 70, 80, 90);
        assertPixel(rgb, 3, 0, 40, 50, 60);
    }

    @Test
    void png2BitPaletteIsUnpacked() throws IOException {
        IndexColorModel palette = new IndexColorModel(2, 4, new byte[] {1, 2, 3, 4}, new byte[] {5, 6, 7, 8},
                new byte[] {9, 10, 11, 12});
        BufferedImage image = new BufferedImage(5, 1, BufferedImage.TYPE_BYTE_BINARY, palette);
        image.getRaster().setPixels(0, 0, 5, 1, new int[] {0, 1, 2, 3, 2});
        RgbImage rgb = ImageDecoder.read(png(image, "palette2.png", 2, 3));
        assertPixel(rgb, 0, 0, 1, 5, 9);
        assertPixel(rgb, 3, 0, 4, 8, 12);
        assertPixel(rgb, 4, 0, 3, 7, 11);
    }

    @Test
    void png1BitGrayIsBlackAndWhite() throws IOException {
        BufferedImage image = new BufferedImage(9, 1, BufferedImage.TYPE_BYTE_BINARY);
        image.getRaster().setPixels(0, 0, 9, 1, new int[] {1, 0, 1, 0, 0, 0, 0, 0, 1});
        RgbImage rgb = ImageDecoder.read(png(image, "bilevel.png", 1, 0));
        assertPixel(rgb, 0, 0, 255, 255, 255);
        assertPixel(rgb, 1, 0, 0, 0, 0);
        assertPixel(rgb, 8, 0, 255, 255, 255);
    }

    @Test
    void png16BitRgbKeepsTheHighByte() throws IOException {
        // PIL unpacks "RGB;16B" by taking each sample's most significant byte: no rounding (0x80FF -> 0x80).
        BufferedImage image = ushortImage(ColorSpace.CS_sRGB, false, 2, new int[] {0x1234, 0x80FF, 0xFF00,
                0x00FF, 0x0100, 0xFFFE});
        RgbImage rgb = ImageDecoder.read(png(image, "rgb16.png", 16, 2));
        assertPixel(rgb, 0, 0, 0x12, 0x80, 0xFF);
        assertPixel(rgb, 1, 0, 0x00, 0x01, 0xFF);
    }

    @Test
    void png16BitRgbaKeepsTheHighByteAndDropsAlpha() throws IOException {
        BufferedImage image = ushortImage(ColorSpace.CS_sRGB, true, 1, new int[] {0x1234, 0x5678, 0x9ABC, 1});
        RgbImage rgb = ImageDecoder.read(png(image, "rgba16.png", 16, 6));
        assertPixel(rgb, 0, 0, 0x12, 0x56, 0x9A);
    }

    @Test
    void png16BitGrayIsClampedLikePilsModeI16() throws IOException {
        // PIL opens 16-bit gray as mode I;16 and converts with I16_RGB: values above 255 become 255.
        BufferedImage image = new BufferedImage(4, 1, BufferedImage.TYPE_USHORT_GRAY);
        image.getRaster().setPixels(0, 0, 4, 1, new int[] {0x0012, 0x00FF, 0x0100, 0xABCD});
        RgbImage rgb = ImageDecoder.read(png(image, "gray16.png", 16, 0));
        assertPixel(rgb, 0, 0, 18, 18, 18);
        assertPixel(rgb, 1, 0, 255, 255, 255);
        assertPixel(rgb, 2, 0, 255, 255, 255);
        assertPixel(rgb, 3, 0, 255, 255, 255);
    }

    @Test
    void png16BitGrayAlphaKeepsTheHighByte() throws IOException {
        // PIL maps 16-bit gray+alpha to RGBA through "LA;16B", i.e. the high byte, unlike plain 16-bit gray.
        BufferedImage image = ushortImage(ColorSpace.CS_GRAY, true, 2, new int[] {0x1234, 0, 0x00FF, 0xFFFF});
        RgbImage rgb = ImageDecoder.read(png(image, "la16.png", 16, 4));
        assertPixel(rgb, 0, 0, 0x12, 0x12, 0x12);
        assertPixel(rgb, 1, 0, 0, 0, 0);
    }

    // ---- JPEG -----------------------------------------------------------------------------------------------

    @Test
    void jpegGrayBlocksDecodeExactly() throws IOException {
        BufferedImage image = new BufferedImage(32, 8, BufferedImage.TYPE_BYTE_GRAY);
        int[] levels = {0, 37, 128, 255};
        fillBlocks(image.getRaster(), 8, new int[][] {levels});
        RgbImage rgb = ImageDecoder.read(jpeg(image, "gray.jpg", false));
        for (int i = 0; i < 4; i++) {
            assertPixel(rgb, i * 8 + 3, 4, levels[i], levels[i], levels[i]);
        }
    }

    @Test
    void jpegYCbCrIsConvertedWithLibjpegIntegerArithmetic() throws IOException {
        assertColourBlocks(ImageDecoder.read(jpeg(colourBlocks(), "baseline.jpg", false)));
    }

    @Test
    void progressiveJpegDecodesLikeBaseline() throws IOException {
        Path file = jpeg(colourBlocks(), "progressive.jpg", true);
        assertTrue(containsMarker(Files.readAllBytes(file), 0xC2), "the writer produced a progressive (SOF2) file");
        assertColourBlocks(ImageDecoder.read(file));
    }

    /** Four 16x16 blocks (one 4:2:0 MCU each): red, blue, gray 90, white. */
    private static BufferedImage colourBlocks() {
        BufferedImage image = new BufferedImage(64, 16, BufferedImage.TYPE_INT_RGB);
        int[] colours = {0xFF0000, 0x0000FF, 0x5A5A5A, 0xFFFFFF};
        for (int i = 0; i < 4; i++) {
            for (int y = 0; y < 16; y++) {
                for (int x = 0; x < 16; x++) {
                    image.setRGB(i * 16 + x, y, colours[i]);
                }
            }
        }
        return image;
    }

    private static void assertColourBlocks(RgbImage rgb) {
        // Red (255, 0, 0) is stored as Y = 76, Cb = 85, Cr = 255 (libjpeg's encoder rounds
        // 0.299 * 255 = 76.2, 128 - 0.16874 * 255 = 85.0 and 128 + 127.5 - 2^-16 = 255.49).
        // Decoding: R = 76 + round(1.402 * 127) = 76 + 178 = 254, G = 76 + floor((-0.34414 * -43 - 0.71414 * 127)
        // * 2^16 + 2^15) / 2^16 = 76 - 76 = 0, B = 76 + round(1.772 * -43) = 76 - 76 = 0.
        assertPixel(rgb, 8, 8, 254, 0, 0);
        // Blue (0, 0, 255): Y = 29, Cb = 255, Cr = 107; R = 29 + round(1.402 * -21) = 0,
        // G = 29 + floor(-28.2) = 0, B = 29 + round(1.772 * 127) = 29 + 225 = 254.
        assertPixel(rgb, 24, 8, 0, 0, 254);
        // Gray has Cb = Cr = 128, so every chroma term is zero and the value survives.
        assertPixel(rgb, 40, 8, 90, 90, 90);
        assertPixel(rgb, 56, 8, 255, 255, 255);
    }

    @Test
    void fourComponentJpegWithoutAdobeMarkerIsInvertedCmykLikePil() throws IOException {
        WritableRaster cmyk = Raster.createInterleavedRaster(DataBuffer.TYPE_BYTE, 24, 8, 4, null);
        int[][] stored = {{10, 100, 200, 50}, {0, 0, 0, 0}, {255, 255, 255, 255}};
        for (int i = 0; i < 3; i++) {
            for (int y = 0; y < 8; y++) {
                for (int x = 0; x < 8; x++) {
                    cmyk.setPixel(i * 8 + x, y, stored[i]);
                }
            }
        }
        Path file = dir.resolve("cmyk.jpg");
        Files.write(file, encodeJpeg(new IIOImage(cmyk, null, null), false));
        assertFalse(containsMarker(Files.readAllBytes(file), 0xEE), "no Adobe marker: PIL still inverts");
        RgbImage rgb = ImageDecoder.read(file);
        // PIL reads every 4-component JPEG as "CMYK;I": (10, 100, 200, 50) becomes C, M, Y, K = 245, 155, 55, 205.
        // cmyk2rgb: nk = 255 - 205 = 50; R = 50 - MULDIV255(245, 50) = 50 - ((12378 >> 8) + 12378 >> 8) = 50 - 48
        // = 2; G = 50 - MULDIV255(155, 50) = 50 - 30 = 20; B = 50 - MULDIV255(55, 50) = 50 - 11 = 39.
        assertPixel(rgb, 4, 4, 2, 20, 39);
        // Stored zeros invert to full ink (black); stored 255s to no ink (white).
        assertPixel(rgb, 12, 4, 0, 0, 0);
        assertPixel(rgb, 20, 4, 255, 255, 255);
    }

    @Test
    void jpegFixturesMatchPillow() throws Exception {
        byte[] photo = Files.readAllBytes(resource("photo-420.rgb"));
        assertArrayEquals(photo, ImageDecoder.read(resource("photo-420.jpg")).rgb(), "4:2:0 baseline");
        assertArrayEquals(photo, ImageDecoder.read(resource("photo-420-progressive.jpg")).rgb(), "progressive");
        assertArrayEquals(Files.readAllBytes(resource("cmyk-adobe.rgb")),
                ImageDecoder.read(resource("cmyk-adobe.jpg")).rgb(), "Adobe CMYK");
        assertArrayEquals(Files.readAllBytes(resource("cmyk-ycck.rgb")),
                ImageDecoder.read(resource("cmyk-ycck.jpg")).rgb(), "Adobe YCCK");
        assertEquals(33, ImageDecoder.read(resource("photo-420.jpg")).width());
    }

    // ---- EXIF orientation -----------------------------------------------------------------------------------

    /** Stored 3x2 grid of 8x8 gray blocks: A B C over D E F. */
    private static final int A = 10;
    private static final int B = 50;
    private static final int C = 90;
    private static final int D = 130;
    private static final int E = 170;
    private static final int F = 210;

    @Test
    void exifOrientationIsIgnoredByDefaultLikeHuggingFace() throws IOException {
        Path file = orientedJpeg(6, true);
        assertBlocks(ImageDecoder.read(file), new int[][] {{A, B, C}, {D, E, F}});
    }

    @Test
    void exifOrientationTurnsTheImageUprightWhenAsked() throws IOException {
        // What PIL's ImageOps.exif_transpose makes of the stored grid, orientation by orientation.
        int[][][] upright = {
            {{A, B, C}, {D, E, F}}, // 1: as stored
            {{C, B, A}, {F, E, D}}, // 2: mirrored
            {{F, E, D}, {C, B, A}}, // 3: rotated 180
            {{D, E, F}, {A, B, C}}, // 4: flipped
            {{A, D}, {B, E}, {C, F}}, // 5: transposed
            {{D, A}, {E, B}, {F, C}}, // 6: rotated 90 clockwise
            {{F, C}, {E, B}, {D, A}}, // 7: transversed
            {{C, F}, {B, E}, {A, D}}, // 8: rotated 90 counter-clockwise
        };
        ImageDecoder decoder = ImageDecoder.defaults().withExifOrientation(true);
        for (int orientation = 1; orientation <= 8; orientation++) {
            assertBlocks(decoder.decode(orientedJpeg(orientation, true)), upright[orientation - 1]);
        }
        // Motorola byte order too, and an out-of-range value leaves the image as stored.
        assertBlocks(decoder.decode(orientedJpeg(6, false)), upright[5]);
        assertBlocks(decoder.decode(orientedJpeg(9, true)), upright[0]);
    }

    private Path orientedJpeg(int orientation, boolean intel) throws IOException {
        BufferedImage image = new BufferedImage(24, 16, BufferedImage.TYPE_BYTE_GRAY);
        fillBlocks(image.getRaster(), 8, new int[][] {{A, B, C}, {D, E, F}});
        byte[] jpeg = encodeJpeg(new IIOImage(image, null, null), false);
        // APP1 "Exif\0\0" + TIFF header + IFD0 holding one entry: Orientation (0x0112), SHORT, count 1.
        ByteBuffer tiff = ByteBuffer.allocate(26).order(intel ? ByteOrder.LITTLE_ENDIAN
                : ByteOrder.BIG_ENDIAN);
        tiff.put(intel ? (byte) 'I' : (byte) 'M').put(intel ? (byte) 'I' : (byte) 'M').putShort((short) 42).putInt(8);
        tiff.putShort((short) 1).putShort((short) 0x0112).putShort((short) 3).putInt(1)
                .putShort((short) orientation).putShort((short) 0).putInt(0);
        byte[] exif = concat("Exif\0\0".getBytes(StandardCharsets.ISO_8859_1), tiff.array());
        int length = exif.length + 2;
        byte[] app1 = concat(new byte[] {(byte) 0xFF, (byte) 0xE1, (byte) (length >> 8), (byte) length}, exif);
        Path file = dir.resolve("oriented-" + orientation + (intel ? "-II" : "-MM") + ".jpg");
        // Right after SOI, where cameras put it.
        Files.write(file, concat(concat(new byte[] {jpeg[0], jpeg[1]}, app1), Arrays.copyOfRange(jpeg, 2,
                jpeg.length)));
        return file;
    }

    private static void assertBlocks(RgbImage rgb, int[][] rows) {
        assertEquals(rows[0].length * 8, rgb.width(), "width");
        assertEquals(rows.length * 8, rgb.height(), "height");
        for (int by = 0; by < rows.length; by++) {
            for (int bx = 0; bx < rows[0].length; bx++) {
                int v = rows[by][bx];
                assertPixel(rgb, bx * 8 + 4, by * 8 + 4, v, v, v);
            }
        }
    }

    // ---- bad input ------------------------------------------------------------------------------------------

    @Test
    void missingFileIsNamed() {
        Path file = dir.resolve("nope.jpg");
        VlmscopeException e = assertThrows(VlmscopeException.class, () -> ImageDecoder.read(file));
        assertMessage(e, file.toString(), "does not exist", "JPEG or PNG");
    }

    @Test
    void emptyFileIsRefused() throws IOException {
        Path file = Files.write(dir.resolve("empty.png"), new byte[0]);
        assertMessage(assertThrows(VlmscopeException.class, () -> ImageDecoder.read(file)), file.toString(),
                "empty", "JPEG or PNG");
    }

    @Test
    void directoryIsRefused() {
        assertMessage(assertThrows(VlmscopeException.class, () -> ImageDecoder.read(dir)), dir.toString(),
                "directory");
    }

    @Test
    void textFileIsNotAnImage() throws IOException {
        Path file = Files.writeString(dir.resolve("notes.jpg"), "hello, not an image\n");
        assertMessage(assertThrows(VlmscopeException.class, () -> ImageDecoder.read(file)), file.toString(),
                "expected a JPEG or PNG", "68 65 6c 6c 6f");
    }

    @Test
    void otherImageFormatsAreNamed() throws IOException {
        Path file = dir.resolve("picture.gif");
        ImageIO.write(new BufferedImage(4, 4, BufferedImage.TYPE_BYTE_INDEXED), "gif", file.toFile());
        assertMessage(assertThrows(VlmscopeException.class, () -> ImageDecoder.read(file)), file.toString(),
                "is a GIF image", "expected a JPEG or PNG");
    }

    @Test
    void hugePngHeaderIsRefusedBeforeDecoding() throws IOException {
        // A 100-byte file claiming 100000 x 100000 RGB pixels: decoding it would need 30 GB.
        ByteArrayOutputStream png = new ByteArrayOutputStream();
        png.write(new byte[] {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n'});
        pngChunk(png, "IHDR", ByteBuffer.allocate(13).putInt(100_000).putInt(100_000).put((byte) 8)
                .put((byte) 2).put((byte) 0).put((byte) 0).put((byte) 0).array());
        pngChunk(png, "IDAT", new byte[] {0x78, (byte) 0x9C, 0x03, 0x00, 0x00, 0x00, 0x00, 0x01});
        pngChunk(png, "IEND", new byte[0]);
        Path file = Files.write(dir.resolve("bomb.png"), png.toByteArray());
        assertMessage(assertThrows(VlmscopeException.class, () -> ImageDecoder.read(file)), file.toString(),
                "100000x100000 pixels (10,000,000,000)", "limit of 50,000,000", "withMaxPixels");
    }

    @Test
    void hugeJpegHeaderIsRefusedBeforeDecoding() throws IOException {
        BufferedImage image = new BufferedImage(16, 16, BufferedImage.TYPE_BYTE_GRAY);
        byte[] jpeg = encodeJpeg(new IIOImage(image, null, null), false);
        int sof = indexOfMarker(jpeg, 0xC0);
        // SOF0: FF C0, length (2), precision (1), height (2), width (2): claim 65000 x 65000.
        jpeg[sof + 5] = jpeg[sof + 7] = (byte) (65000 >> 8);
        jpeg[sof + 6] = jpeg[sof + 8] = (byte) 65000;
        Path file = Files.write(dir.resolve("bomb.jpg"), jpeg);
        assertMessage(assertThrows(VlmscopeException.class, () -> ImageDecoder.read(file)), file.toString(),
                "65000x65000", "limit of 50,000,000");
    }

    @Test
    void pixelLimitIsConfigurable() throws IOException {
        Path file = png(new BufferedImage(10, 10, BufferedImage.TYPE_INT_RGB), "ten.png", 8, 2);
        assertMessage(assertThrows(VlmscopeException.class,
                () -> ImageDecoder.defaults().withMaxPixels(99).decode(file)), "10x10 pixels (100)", "limit of 99;");
        assertEquals(10, ImageDecoder.defaults().withMaxPixels(100).decode(file).width());
        assertThrows(IllegalArgumentException.class, () -> ImageDecoder.defaults().withMaxPixels(0));
    }

    @Test
    void truncatedJpegIsRefusedLikePil() throws IOException {
        byte[] jpeg = Files.readAllBytes(resource("photo-420.jpg"));
        Path file = Files.write(dir.resolve("cut.jpg"), Arrays.copyOf(jpeg, jpeg.length / 2));
        assertMessage(assertThrows(VlmscopeException.class, () -> ImageDecoder.read(file)), file.toString(),
                "truncated", "JPEG");
        Path progressive = Files.write(dir.resolve("cut-progressive.jpg"), Arrays.copyOf(
                Files.readAllBytes(resource("photo-420-progressive.jpg")), 900));
        assertMessage(assertThrows(VlmscopeException.class, () -> ImageDecoder.read(progressive)), "truncated");
        Path header = Files.write(dir.resolve("cut-header.jpg"), Arrays.copyOf(jpeg, 100));
        assertMessage(assertThrows(VlmscopeException.class, () -> ImageDecoder.read(header)), "JPEG",
                "ends before its first scan");
    }

    @Test
    void truncatedPngIsRefused() throws IOException {
        BufferedImage image = new BufferedImage(64, 64, BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < 64; y++) {
            for (int x = 0; x < 64; x++) {
                image.setRGB(x, y, x * 0x030507 + y * 0x0B0D11);
            }
        }
        byte[] png = Files.readAllBytes(png(image, "whole.png", 8, 2));
        Path file = Files.write(dir.resolve("cut.png"), Arrays.copyOf(png, png.length / 2));
        assertMessage(assertThrows(VlmscopeException.class, () -> ImageDecoder.read(file)), file.toString(),
                "truncated", "PNG");
    }

    // ---- helpers --------------------------------------------------------------------------------------------

    private static void assertPixel(RgbImage image, int x, int y, int r, int g, int b) {
        assertArrayEquals(new int[] {r, g, b},
                new int[] {image.sample(x, y, 0), image.sample(x, y, 1), image.sample(x, y, 2)},
                "pixel (" + x + ", " + y + ")");
    }

    private static void assertMessage(Throwable e, String... parts) {
        for (String part : parts) {
            assertTrue(e.getMessage().contains(part), "message lacks '" + part + "': " + e.getMessage());
        }
    }

    /** Writes {@code image} as PNG and checks the writer chose the bit depth and colour type under test. */
    private Path png(BufferedImage image, String name, int bitDepth, int colourType) throws IOException {
        Path file = dir.resolve(name);
        assertTrue(ImageIO.write(image, "png", file.toFile()), "a PNG writer exists");
        byte[] bytes = Files.readAllBytes(file);
        // IHDR data starts at byte 16: width (4), height (4), bit depth, colour type.
        assertEquals(bitDepth, bytes[24], "PNG bit depth");
        assertEquals(colourType, bytes[25], "PNG colour type");
        return file;
    }

    private Path jpeg(BufferedImage image, String name, boolean progressive) throws IOException {
        return Files.write(dir.resolve(name), encodeJpeg(new IIOImage(image, null, null), progressive));
    }

    private static byte[] encodeJpeg(IIOImage image, boolean progressive) throws IOException {
        ImageWriter writer = ImageIO.getImageWritersByFormatName("jpeg").next();
        ImageWriteParam param = writer.getDefaultWriteParam();
        if (progressive) {
            param.setProgressiveMode(ImageWriteParam.MODE_DEFAULT);
        }
        // Quality 1.0: all quantisers 1, so flat blocks come back exactly.
        param.setCompressionMode(ImageWriteParam.MODE_EXPLICIT);
        param.setCompressionQuality(1.0f);
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (ImageOutputStream out = ImageIO.createImageOutputStream(bytes)) {
            writer.setOutput(out);
            writer.write(null, image, param);
        } finally {
            writer.dispose();
        }
        return bytes.toByteArray();
    }

    /** Fills {@code size x size} blocks with the gray levels of {@code grid} (rows of blocks). */
    private static void fillBlocks(WritableRaster raster, int size, int[][] grid) {
        for (int y = 0; y < grid.length * size; y++) {
            for (int x = 0; x < grid[0].length * size; x++) {
                raster.setSample(x, y, 0, grid[y / size][x / size]);
            }
        }
    }

    private static BufferedImage ushortImage(int colorSpace, boolean alpha, int width, int[] samples) {
        ComponentColorModel model = new ComponentColorModel(ColorSpace.getInstance(colorSpace), alpha, false,
                alpha ? Transparency.TRANSLUCENT : Transparency.OPAQUE, DataBuffer.TYPE_USHORT);
        WritableRaster raster = model.createCompatibleWritableRaster(width, 1);
        raster.setPixels(0, 0, width, 1, samples);
        return new BufferedImage(model, raster, false, null);
    }

    private static void pngChunk(ByteArrayOutputStream out, String type, byte[] data) {
        byte[] typeBytes = type.getBytes(StandardCharsets.ISO_8859_1);
        CRC32 crc = new CRC32();
        crc.update(typeBytes);
        crc.update(data);
        out.writeBytes(ByteBuffer.allocate(4).putInt(data.length).array());
        out.writeBytes(typeBytes);
        out.writeBytes(data);
        out.writeBytes(ByteBuffer.allocate(4).putInt((int) crc.getValue()).array());
    }

    private static boolean containsMarker(byte[] jpeg, int marker) {
        return indexOfMarker(jpeg, marker) >= 0;
    }

    /** Position of the first FF {@code marker} in the header, before the first scan. */
    private static int indexOfMarker(byte[] jpeg, int marker) {
        for (int i = 2; i + 3 < jpeg.length && (jpeg[i] & 0xFF) == 0xFF; ) {
            int code = jpeg[i + 1] & 0xFF;
            if (code == marker) {
                return i;
            }
            if (code == 0xDA) {
                return -1;
            }
            i += 2 + ((jpeg[i + 2] & 0xFF) << 8 | jpeg[i + 3] & 0xFF);
        }
        return -1;
    }

    private static byte[] concat(byte[] a, byte[] b) {
        byte[] out = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }

    private static Path resource(String name) throws IOException {
        try {
            return Path.of(ImageDecoderTest.class.getResource(name).toURI());
        } catch (URISyntaxException e) {
            throw new IOException(e);
        }
    }
}
