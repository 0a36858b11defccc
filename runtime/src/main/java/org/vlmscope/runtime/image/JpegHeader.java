package org.vlmscope.runtime.image;

import java.io.EOFException;
import java.io.IOException;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import javax.imageio.stream.ImageInputStream;

/**
 * What a JPEG's markers before the first scan say about its colours, read the way libjpeg reads them (PIL decodes
 * with libjpeg-turbo): the frame's component count and ids, whether a JFIF or an Adobe segment is present and the
 * Adobe transform, and the EXIF orientation. The image reader's raster holds the components as stored, so these
 * facts decide how they become RGB.
 *
 * @param components number of colour components in the frame (1, 3 or 4 in practice)
 * @param componentIds the frame's component identifiers, in frame order
 * @param jfif whether a JFIF APP0 segment of full length is present
 * @param adobeTransform the Adobe APP14 colour transform (0 none, 1 YCbCr, 2 YCCK), or -1 without that segment
 * @param orientation the EXIF orientation 1..8 from the first Exif APP1 segment, 1 when absent or invalid
 */
record JpegHeader(int components, int[] componentIds, boolean jfif, int adobeTransform, int orientation) {
    /** The stored colour model libjpeg infers, following jdapimin.c's default_decompress_parms. */
    enum ColorSpace { GRAY, YCBCR, RGB, CMYK, YCCK }

    // libjpeg looks at this many bytes of APP0 and APP14 and needs all of them to accept the segment.
    private static final int JFIF_LENGTH = 14;
    private static final int ADOBE_LENGTH = 12;
    private static final int ORIENTATION_TAG = 0x0112;

    ColorSpace colorSpace() {
        return switch (components) {
            case 1 -> ColorSpace.GRAY;
            case 3 -> {
                if (jfif) {
                    yield ColorSpace.YCBCR;
                }
                if (adobeTransform >= 0) {
                    yield adobeTransform == 0 ? ColorSpace.RGB : ColorSpace.YCBCR;
                }
                // No marker: component ids 'R', 'G', 'B' mean RGB, anything else is taken as YCbCr.
                boolean rgbIds = componentIds[0] == 'R' && componentIds[1] == 'G' && componentIds[2] == 'B';
                yield rgbIds ? ColorSpace.RGB : ColorSpace.YCBCR;
            }
            case 4 -> adobeTransform <= 0 ? ColorSpace.CMYK : ColorSpace.YCCK;
            default -> throw new IllegalStateException("no colour model for " + components + " components");
        };
    }

    /**
     * Scans from the stream's current position (the SOI marker) to the first start-of-scan marker, skipping
     * segment bodies, so a file's pixel data is never read here.
     *
     * @throws IOException when the stream ends before a frame header and a scan, or a segment is malformed
     */
    static JpegHeader scan(ImageInputStream in) throws IOException {
        in.setByteOrder(ByteOrder.BIG_ENDIAN);
        if (in.readUnsignedShort() != 0xFFD8) {
            throw new IOException("no JPEG start-of-image marker");
        }
        int components = 0;
        int[] ids = new int[0];
        boolean jfif = false;
        int adobeTransform = -1;
        int orientation = 1;
        boolean exifSeen = false;
        while (true) {
            int marker = nextMarker(in);
            if (marker == 0xD9) {
                throw new IOException("the image ends before its first scan");
            }
            if (marker == 0x01 || marker >= 0xD0 && marker <= 0xD8) {
                continue; // TEM, RSTn and SOI carry no length
            }
            int length = in.readUnsignedShort() - 2;
            if (length < 0) {
                throw new IOException("JPEG segment 0xFF" + Integer.toHexString(marker) + " has a negative length");
            }
            long end = in.getStreamPosition() + length;
            if (marker == 0xDA) {
                if (components == 0) {
                    throw new IOException("the first scan comes before any frame header");
                }
                return new JpegHeader(components, ids, jfif, adobeTransform, orientation);
            }
            if (isStartOfFrame(marker)) {
                in.skipBytes(5); // precision, height, width: the image reader reports the size
                components = in.readUnsignedByte();
                ids = new int[components];
                for (int i = 0; i < components; i++) {
                    ids[i] = in.readUnsignedByte();
                    in.skipBytes(2);
                }
            } else if (marker == 0xE0 && length >= JFIF_LENGTH) {
                jfif |= startsWith(read(in, JFIF_LENGTH), "JFIF\0");
            } else if (marker == 0xEE && length >= ADOBE_LENGTH) {
                byte[] adobe = read(in, ADOBE_LENGTH);
                if (startsWith(adobe, "Adobe")) {
                    adobeTransform = adobe[11] & 0xFF;
                }
            } else if (marker == 0xE1 && !exifSeen && length >= 6) {
                byte[] app1 = read(in, length);
                if (startsWith(app1, "Exif\0\0")) {
                    // PIL keeps the first Exif segment; later ones (rare) are ignored.
                    exifSeen = true;
                    orientation = exifOrientation(app1, 6);
                }
            }
            in.seek(end);
        }
    }

    private static boolean isStartOfFrame(int marker) {
        // 0xC4 (DHT), 0xC8 (JPG) and 0xCC (DAC) share the range but are not frames.
        return marker >= 0xC0 && marker <= 0xCF && marker != 0xC4 && marker != 0xC8 && marker != 0xCC;
    }

    /** The next marker code, skipping stray bytes and fill 0xFFs as libjpeg's next_marker does. */
    private static int nextMarker(ImageInputStream in) throws IOException {
        while (true) {
            int b = in.read();
            if (b < 0) {
                throw new EOFException("the image ends before its first scan");
            }
            if (b != 0xFF) {
                continue;
            }
            int code;
            do {
                code = in.read();
            } while (code == 0xFF);
            if (code < 0) {
                throw new EOFException("the image ends before its first scan");
            }
            if (code != 0) {
                return code;
            }
        }
    }

    private static byte[] read(ImageInputStream in, int n) throws IOException {
        byte[] bytes = new byte[n];
        in.readFully(bytes);
        return bytes;
    }

    private static boolean startsWith(byte[] bytes, String prefix) {
        byte[] p = prefix.getBytes(StandardCharsets.ISO_8859_1);
        if (bytes.length < p.length) {
            return false;
        }
        for (int i = 0; i < p.length; i++) {
            if (bytes[i] != p[i]) {
                return false;
            }
        }
        return true;
    }

    /**
     * The Orientation tag of IFD0 in the TIFF structure at {@code tiff}; 1 (as stored) when absent or outside 1..8,
     * so a damaged EXIF block never stops an image from loading (PIL's exif_transpose ignores such values too).
     */
    private static int exifOrientation(byte[] data, int tiff) {
        if (data.length < tiff + 8) {
            return 1;
        }
        boolean little;
        if (data[tiff] == 'I' && data[tiff + 1] == 'I') {
            little = true;
        } else if (data[tiff] == 'M' && data[tiff + 1] == 'M') {
            little = false;
        } else {
            return 1;
        }
        long ifd = tiff + readInt(data, tiff + 4, little);
        if (ifd + 2 > data.length) {
            return 1;
        }
        int entries = readShort(data, (int) ifd, little);
        for (int i = 0; i < entries; i++) {
            int entry = (int) ifd + 2 + 12 * i;
            if (entry + 12 > data.length) {
                return 1;
            }
            if (readShort(data, entry, little) == ORIENTATION_TAG) {
                // A SHORT value sits in the first two bytes of the entry's value field.
                int value = readShort(data, entry + 8, little);
                return value >= 1 && value <= 8 ? value : 1;
            }
        }
        return 1;
    }

    private static int readShort(byte[] d, int at, boolean little) {
        int a = d[at] & 0xFF;
        int b = d[at + 1] & 0xFF;
        return little ? a | b << 8 : a << 8 | b;
    }

    private static long readInt(byte[] d, int at, boolean little) {
        long hi = readShort(d, little ? at + 2 : at, little);
        long lo = readShort(d, little ? at : at + 2, little);
        return hi << 16 | lo;
    }
}
