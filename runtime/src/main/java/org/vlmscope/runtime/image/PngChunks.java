package org.vlmscope.runtime.image;

import java.io.EOFException;
import java.io.IOException;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.zip.CRC32;
import javax.imageio.stream.ImageInputStream;
import org.vlmscope.core.VlmscopeException;

/**
 * Walks a PNG's chunks and checks each one's CRC, which Java's PNG reader never looks at. PIL refuses a chunk whose
 * checksum is wrong ("broken PNG file"); so do we, before any pixel is decoded. Reads the file once in small blocks.
 */
final class PngChunks {
    private static final byte[] SIGNATURE = {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n'};
    private static final int BLOCK = 64 * 1024;

    private PngChunks() {
    }

    /** Reads from the stream's start to the IEND chunk; leaves the stream at an undefined position. */
    static void check(Path file, ImageInputStream in) {
        try {
            in.seek(0);
            in.setByteOrder(ByteOrder.BIG_ENDIAN);
            byte[] signature = new byte[SIGNATURE.length];
            in.readFully(signature);
            if (!java.util.Arrays.equals(signature, SIGNATURE)) {
                throw new VlmscopeException(file + " does not start with the PNG signature: expected a PNG file");
            }
            byte[] block = new byte[BLOCK];
            byte[] type = new byte[4];
            while (true) {
                long length = in.readUnsignedInt();
                in.readFully(type);
                String name = new String(type, StandardCharsets.ISO_8859_1);
                // The PNG specification caps a chunk at 2^31 - 1 bytes.
                if (length > Integer.MAX_VALUE) {
                    throw new VlmscopeException(file + ": PNG chunk " + printable(name) + " claims " + length
                            + " bytes, more than the 2^31 - 1 a chunk may hold: the file is corrupt");
                }
                CRC32 crc = new CRC32();
                crc.update(type);
                for (long left = length; left > 0; ) {
                    int n = (int) Math.min(left, BLOCK);
                    in.readFully(block, 0, n);
                    crc.update(block, 0, n);
                    left -= n;
                }
                long stored = in.readUnsignedInt();
                if (stored != crc.getValue()) {
                    throw new VlmscopeException(String.format("%s is a broken PNG file: chunk %s has CRC %08x but "
                            + "its bytes give %08x (expected them to agree)", file, printable(name), stored,
                            crc.getValue()));
                }
                if (name.equals("IEND")) {
                    return;
                }
            }
        } catch (EOFException e) {
            throw new VlmscopeException(file + " is a truncated PNG image (it ends inside a chunk or before IEND): "
                    + "expected a complete file", e);
        } catch (IOException e) {
            throw new VlmscopeException("cannot read " + file + ": " + e.getMessage(), e);
        }
    }

    private static String printable(String name) {
        return name.chars().allMatch(c -> c >= 'A' && c <= 'z') ? name : "(unnamed)";
    }
}
