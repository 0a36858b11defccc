package org.vlmscope.runtime.image;

import java.awt.image.BufferedImage;
import java.awt.image.ColorModel;
import java.awt.image.IndexColorModel;
import java.awt.image.Raster;
import java.io.EOFException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import javax.imageio.ImageIO;
import javax.imageio.ImageReader;
import javax.imageio.stream.FileImageInputStream;
import javax.imageio.stream.ImageInputStream;
import org.vlmscope.core.VlmscopeException;

/**
 * Reads a JPEG or PNG file into the RGB pixels PIL's {@code Image.open(path).convert("RGB")} gives, which is what
 * Hugging Face image processors start from.
 *
 * <p>PIL's conversions, reproduced here: alpha is dropped, not composited; grayscale is replicated into the three
 * channels; a palette image takes its palette colours; 16-bit RGB(A) and gray+alpha PNGs keep the high byte of
 * each sample, while a 16-bit grayscale PNG (PIL mode {@code I;16}) is clamped to 255; a 4-component JPEG is
 * read as inverted CMYK (PIL assumes Adobe's convention for every such file) and converted with PIL's
 * profile-free {@code R = (255 - K) - C * (255 - K) / 255}. Embedded ICC profiles and PNG gamma are ignored, as PIL
 * ignores them. JPEG pixels come from the reader's raw raster, so the YCbCr to RGB step is libjpeg's integer
 * conversion done here, not Java2D's colour management.
 *
 * <p>EXIF orientation is not applied by default, because Hugging Face does not apply it; {@link
 * #withExifOrientation(boolean)} rotates JPEGs upright as PIL's {@code ImageOps.exif_transpose} does.
 *
 * <p>Before any pixel is decoded the reader's header is checked against a pixel limit, so a small file claiming
 * a huge image is refused with bounded memory.
 */
public final class ImageDecoder {
    /** 50 megapixels: above any camera photo in common datasets, far below what would exhaust a default heap. */
    public static final long DEFAULT_MAX_PIXELS = 50_000_000L;
    /** The decoded RGB bytes (3 per pixel) must fit in one Java array. */
    private static final long MAX_SUPPORTED_PIXELS = (Integer.MAX_VALUE - 8) / 3;

    private static final ImageDecoder DEFAULT = new ImageDecoder(DEFAULT_MAX_PIXELS, false);

    private final long maxPixels;
    private final boolean exifOrientation;

    private ImageDecoder(long maxPixels, boolean exifOrientation) {
        this.maxPixels = maxPixels;
        this.exifOrientation = exifOrientation;
    }

    /** The Hugging Face-compatible decoder: no EXIF rotation, {@link #DEFAULT_MAX_PIXELS}. */
    public static ImageDecoder defaults() {
        return DEFAULT;
    }

    /** Reads {@code file} with {@link #defaults()}. */
    public static RgbImage read(Path file) {
        return DEFAULT.decode(file);
    }

    /** A decoder refusing images of more than {@code maxPixels} pixels (width times height). */
    public ImageDecoder withMaxPixels(long maxPixels) {
        if (maxPixels < 1 || maxPixels > MAX_SUPPORTED_PIXELS) {
            throw new IllegalArgumentException(
                    "maxPixels must be in 1.." + MAX_SUPPORTED_PIXELS + ", got " + maxPixels);
        }
        return new ImageDecoder(maxPixels, exifOrientation);
    }

    /** A decoder that does (true) or does not (false, the Hugging Face behaviour) turn JPEGs upright by EXIF. */
    public ImageDecoder withExifOrientation(boolean apply) {
        return new ImageDecoder(maxPixels, apply);
    }

    /**
     * Decodes {@code file}.
     *
     * @throws VlmscopeException naming the file when it is missing, empty, not a JPEG or PNG, larger than the
     *     pixel limit, truncated or otherwise undecodable
     */
    public RgbImage decode(Path file) {
        if (Files.isDirectory(file)) {
            throw new VlmscopeException(file + " is a directory: expected a JPEG or PNG image");
        }
        long size;
        try {
            size = Files.size(file);
        } catch (NoSuchFileException e) {
            throw new VlmscopeException(file + " does not exist: expected a JPEG or PNG image");
        } catch (IOException e) {
            throw new VlmscopeException("cannot read " + file + ": " + e.getMessage(), e);
        }
        if (size == 0) {
            throw new VlmscopeException(file + " is empty (0 bytes): expected a JPEG or PNG image");
        }
        try (ImageInputStream in = new FileImageInputStream(file.toFile())) {
            ImageReader reader = readerFor(file, in);
            try {
                return decode(file, in, reader, reader.getFormatName().equalsIgnoreCase("jpeg"));
            } finally {
                reader.dispose();
            }
        } catch (IOException e) {
            throw new VlmscopeException("cannot read " + file + ": " + e.getMessage(), e);
        }
    }

    private static ImageReader readerFor(Path file, ImageInputStream in) throws IOException {
        Iterator<ImageReader> readers = ImageIO.getImageReaders(in);
        if (!readers.hasNext()) {
            byte[] head = new byte[(int) Math.min(8, in.length())];
            in.seek(0);
            in.readFully(head);
            throw new VlmscopeException(file + " is not an image this decoder reads: expected a JPEG or PNG file, "
                    + "but it starts with bytes " + HexFormat.ofDelimiter(" ").formatHex(head));
        }
        ImageReader reader = readers.next();
        String format = reader.getFormatName().toLowerCase(Locale.ROOT);
        if (!format.equals("jpeg") && !format.equals("png")) {
            reader.dispose();
            throw new VlmscopeException(file + " is a " + format.toUpperCase(Locale.ROOT)
                    + " image: expected a JPEG or PNG file (PIL's conversion is only reproduced for those)");
        }
        return reader;
    }

    private RgbImage decode(Path file, ImageInputStream in, ImageReader reader, boolean jpeg) {
        String format = jpeg ? "JPEG" : "PNG";
        JpegHeader header = null;
        int width;
        int height;
        if (!jpeg) {
            PngChunks.check(file, in);
        }
        try {
            if (jpeg) {
                in.seek(0);
                header = JpegHeader.scan(in);
            }
            in.seek(0);
            reader.setInput(in, false, true);
            width = reader.getWidth(0);
            height = reader.getHeight(0);
        } catch (IOException | RuntimeException e) {
            throw undecodable(file, format, in, e);
        }
        checkSize(file, format, width, height);
        List<String> warnings = new ArrayList<>();
        reader.addIIOReadWarningListener((source, warning) -> warnings.add(warning));
        Raster jpegRaster = null;
        BufferedImage pngImage = null;
        try {
            if (jpeg) {
                jpegRaster = reader.readRaster(0, null);
            } else {
                pngImage = reader.read(0);
            }
        } catch (IOException | RuntimeException e) {
            throw undecodable(file, format, in, e);
        }
        for (String warning : warnings) {
            // libjpeg pads a cut-off stream with grey and only warns; PIL refuses such a file ("image file is
            // truncated"), and so do we. Other libjpeg warnings (stray bytes between markers) PIL tolerates.
            String lower = warning.toLowerCase(Locale.ROOT);
            if (lower.contains("truncated") || lower.contains("premature end")) {
                throw new VlmscopeException(file + " is a truncated " + format + " image (" + warning
                        + "): expected a complete file");
            }
        }
        if (!jpeg) {
            return fromPng(file, pngImage);
        }
        RgbImage image = fromJpegRaster(file, header, jpegRaster);
        return exifOrientation ? Orientation.apply(image, header.orientation()) : image;
    }

    /**
     * Image readers signal damaged data with IIOException and, on some corruptions, with unchecked exceptions
     * from deep inside the codec; either way the file is the problem, and the message says whether it looks cut
     * short.
     */
    private static VlmscopeException undecodable(Path file, String format, ImageInputStream in, Exception e) {
        // Some codec failures carry no message at all; the file name and the verdict below still say what happened.
        StringBuilder detail = new StringBuilder(e.getMessage() != null ? e.getMessage() : "the decoder gave no detail");
        boolean endOfFile = false;
        for (Throwable t = e; t != null; t = t.getCause()) {
            endOfFile |= t instanceof EOFException;
            if (t != e && t.getMessage() != null) {
                detail.append(": ").append(t.getMessage());
            }
        }
        // A JPEG cut inside a segment fails with a segment error rather than an end of file; the missing
        // end-of-image marker tells that case apart from real corruption.
        if (endOfFile || format.equals("JPEG") && !endsWithEndOfImage(in)) {
            return new VlmscopeException(file + " is a truncated " + format + " image (" + detail
                    + "): expected a complete file", e);
        }
        return new VlmscopeException(file + " cannot be decoded as a " + format + " image (corrupt?): " + detail, e);
    }

    private static boolean endsWithEndOfImage(ImageInputStream in) {
        try {
            in.seek(in.length() - 2);
            return in.read() == 0xFF && in.read() == 0xD9;
        } catch (IOException e) {
            return false;
        }
    }

    private void checkSize(Path file, String format, int width, int height) {
        long pixels = (long) width * height;
        if (pixels > maxPixels) {
            throw new VlmscopeException(String.format(Locale.ROOT, "%s: the %s header claims %dx%d pixels (%,d), "
                    + "more than the limit of %,d; refusing to decode it (raise the limit with "
                    + "ImageDecoder.withMaxPixels if the image is genuine)", file, format, width, height, pixels,
                    maxPixels));
        }
    }

    private static RgbImage fromJpegRaster(Path file, JpegHeader header, Raster raster) {
        int bands = raster.getNumBands();
        if (bands != header.components()) {
            throw new VlmscopeException(file + ": the JPEG decoder returned " + bands + " components but the frame "
                    + "header declares " + header.components());
        }
        if (bands != 1 && bands != 3 && bands != 4) {
            throw new VlmscopeException(file + " is a JPEG with " + bands + " components: expected 1 (gray), "
                    + "3 (YCbCr/RGB) or 4 (CMYK/YCCK)");
        }
        JpegHeader.ColorSpace space = header.colorSpace();
        int width = raster.getWidth();
        int height = raster.getHeight();
        byte[] rgb = new byte[width * height * 3];
        int[] row = new int[width * bands];
        for (int y = 0; y < height; y++) {
            raster.getPixels(raster.getMinX(), raster.getMinY() + y, width, 1, row);
            for (int x = 0; x < width; x++) {
                int s = x * bands;
                int o = (y * width + x) * 3;
                switch (space) {
                    case GRAY -> rgb[o] = rgb[o + 1] = rgb[o + 2] = (byte) row[s];
                    case RGB -> put(rgb, o, row[s], row[s + 1], row[s + 2]);
                    case YCBCR -> YCbCr.toRgb(row[s], row[s + 1], row[s + 2], rgb, o);
                    case CMYK -> cmykToRgb(255 - row[s], 255 - row[s + 1], 255 - row[s + 2], 255 - row[s + 3],
                            rgb, o);
                    case YCCK -> {
                        // libjpeg turns YCCK into CMYK as 255 - RGB(YCC), keeping K; PIL then inverts all four.
                        YCbCr.toRgb(row[s], row[s + 1], row[s + 2], rgb, o);
                        cmykToRgb(rgb[o] & 0xFF, rgb[o + 1] & 0xFF, rgb[o + 2] & 0xFF, 255 - row[s + 3], rgb, o);
                    }
                }
            }
        }
        return new RgbImage(width, height, rgb);
    }

    /** PIL's cmyk2rgb: {@code channel = (255 - K) - round(ink * (255 - K) / 255)}, clamped. */
    private static void cmykToRgb(int c, int m, int yellow, int k, byte[] rgb, int o) {
        int nk = 255 - k;
        put(rgb, o, nk - mulDiv255(c, nk), nk - mulDiv255(m, nk), nk - mulDiv255(yellow, nk));
    }

    /** PIL's MULDIV255: {@code a * b / 255} rounded, computed with shifts. */
    private static int mulDiv255(int a, int b) {
        int t = a * b + 128;
        return ((t >> 8) + t) >> 8;
    }

    private static RgbImage fromPng(Path file, BufferedImage image) {
        Raster raster = image.getRaster();
        ColorModel model = image.getColorModel();
        int width = raster.getWidth();
        int height = raster.getHeight();
        int bands = raster.getNumBands();
        byte[] rgb = new byte[width * height * 3];
        int[] row = new int[width * bands];
        if (model instanceof IndexColorModel palette) {
            for (int y = 0; y < height; y++) {
                raster.getPixels(0, y, width, 1, row);
                for (int x = 0; x < width; x++) {
                    int index = row[x];
                    put(rgb, (y * width + x) * 3, palette.getRed(index), palette.getGreen(index),
                            palette.getBlue(index));
                }
            }
            return new RgbImage(width, height, rgb);
        }
        int colors = model.getNumColorComponents();
        int bits = raster.getSampleModel().getSampleSize(0);
        if (colors != 1 && colors != 3 || bits != 8 && bits != 16) {
            throw new VlmscopeException(file + ": unsupported PNG layout (" + colors + " colour components of "
                    + bits + " bits): expected gray or RGB, with or without alpha, of 8 or 16 bits");
        }
        // PIL reads 16-bit gray as I;16 and clamps it into 0..255 when converting; every other 16-bit PNG it
        // unpacks by keeping each sample's high byte.
        boolean clampGray16 = bits == 16 && colors == 1 && !model.hasAlpha();
        for (int y = 0; y < height; y++) {
            raster.getPixels(0, y, width, 1, row);
            for (int x = 0; x < width; x++) {
                int s = x * bands;
                int o = (y * width + x) * 3;
                if (colors == 1) {
                    int v = bits == 8 ? row[s] : clampGray16 ? Math.min(row[s], 255) : row[s] >> 8;
                    rgb[o] = rgb[o + 1] = rgb[o + 2] = (byte) v;
                } else {
                    int shift = bits - 8;
                    put(rgb, o, row[s] >> shift, row[s + 1] >> shift, row[s + 2] >> shift);
                }
            }
        }
        return new RgbImage(width, height, rgb);
    }

    private static void put(byte[] rgb, int o, int r, int g, int b) {
        rgb[o] = (byte) clamp(r);
        rgb[o + 1] = (byte) clamp(g);
        rgb[o + 2] = (byte) clamp(b);
    }

    private static int clamp(int v) {
        return v < 0 ? 0 : Math.min(v, 255);
    }

    /**
     * libjpeg's YCbCr to RGB conversion (jdcolor.c), which libjpeg-turbo and so PIL share: 16-bit fixed-point
     * constants, the red and blue terms rounded to integers once, the green term summed before one shift.
     */
    private static final class YCbCr {
        private static final int SCALE_BITS = 16;
        private static final int ONE_HALF = 1 << (SCALE_BITS - 1);
        private static final int[] CR_R = new int[256];
        private static final int[] CB_B = new int[256];
        private static final int[] CR_G = new int[256];
        private static final int[] CB_G = new int[256];

        static {
            for (int i = 0; i < 256; i++) {
                int x = i - 128;
                CR_R[i] = (fix(1.40200) * x + ONE_HALF) >> SCALE_BITS;
                CB_B[i] = (fix(1.77200) * x + ONE_HALF) >> SCALE_BITS;
                CR_G[i] = -fix(0.71414) * x;
                CB_G[i] = -fix(0.34414) * x + ONE_HALF;
            }
        }

        private static int fix(double v) {
            return (int) (v * (1 << SCALE_BITS) + 0.5);
        }

        static void toRgb(int y, int cb, int cr, byte[] rgb, int o) {
            put(rgb, o, y + CR_R[cr], y + ((CB_G[cb] + CR_G[cr]) >> SCALE_BITS), y + CB_B[cb]);
        }
    }
}
