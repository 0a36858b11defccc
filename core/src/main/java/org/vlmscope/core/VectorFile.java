package org.vlmscope.core;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;

/**
 * A single vector (a mean visual token, a patch value) from a file: a {@code .safetensors} file holding one
 * tensor (or the tensor named after a colon, {@code FILE:TENSOR}), or a PyTorch {@code .pt} archive of one
 * float32 tensor. PyTorch archives are zip files whose pickle only describes the storage; the pickle is never
 * executed: the raw little-endian float32 storage entry ({@code <archive>/data/0}) is read directly.
 */
public final class VectorFile {
    private VectorFile() {
    }

    /** Reads {@code spec} ("FILE" or "FILE:TENSOR") and checks it holds exactly {@code width} values. */
    public static float[] read(String spec, int width) {
        float[] values = read(spec);
        if (values.length != width) {
            throw new BadArgumentException("vector in " + spec + " has " + values.length + " values; expected " + width);
        }
        return values;
    }

    /** Reads {@code spec} ("FILE" or "FILE:TENSOR"): all values of the tensor, flattened. */
    public static float[] read(String spec) {
        int colon = spec.lastIndexOf(':');
        boolean named = colon > 1 && !Files.exists(Path.of(spec));
        Path file = Path.of(named ? spec.substring(0, colon) : spec);
        String tensor = named ? spec.substring(colon + 1) : null;
        if (!Files.isRegularFile(file)) {
            throw new VlmscopeException("vector file " + file + " does not exist");
        }
        return file.toString().endsWith(".pt") || file.toString().endsWith(".pth")
                ? readTorch(file) : readSafetensors(file, tensor);
    }

    private static float[] readSafetensors(Path file, String tensor) {
        try (SafetensorsFile f = SafetensorsFile.open(file)) {
            if (tensor != null) {
                return f.toFloatArray(f.info(tensor).name());
            }
            List<TensorInfo> all = f.tensors();
            if (all.size() != 1) {
                throw new VlmscopeException(file + " holds " + all.size() + " tensors; name one as " + file + ":TENSOR");
            }
            return f.toFloatArray(all.get(0).name());
        }
    }

    private static float[] readTorch(Path file) {
        try (ZipFile zip = new ZipFile(file.toFile())) {
            List<ZipEntry> storages = new ArrayList<>();
            boolean hasPickle = false;
            for (ZipEntry e : Collections.list(zip.entries())) {
                hasPickle |= e.getName().endsWith("/data.pkl");
                if (e.getName().matches("[^/]+/data/\\d+")) {
                    storages.add(e);
                }
            }
            if (!hasPickle || storages.size() != 1) {
                throw new VlmscopeException(file + " is not a PyTorch archive of one tensor (found " + storages.size()
                        + " storages" + (hasPickle ? "" : " and no data.pkl") + ")");
            }
            ZipEntry order = zip.getEntry(storages.get(0).getName().replaceFirst("/data/\\d+$", "/byteorder"));
            if (order != null) {
                try (InputStream in = zip.getInputStream(order)) {
                    String byteOrder = new String(in.readAllBytes(), java.nio.charset.StandardCharsets.US_ASCII).trim();
                    if (!byteOrder.equals("little")) {
                        throw new VlmscopeException(file + " stores its tensor " + byteOrder + "-endian; expected little");
                    }
                }
            }
            byte[] bytes;
            try (InputStream in = zip.getInputStream(storages.get(0))) {
                bytes = in.readAllBytes();
            }
            if (bytes.length % 4 != 0) {
                throw new VlmscopeException(file + ": storage " + storages.get(0).getName() + " has " + bytes.length
                        + " bytes, not a whole number of float32 values");
            }
            float[] out = new float[bytes.length / 4];
            ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(out);
            return out;
        } catch (java.util.zip.ZipException e) {
            throw new VlmscopeException(file + " is not a PyTorch .pt archive (zip): " + e.getMessage(), e);
        } catch (IOException e) {
            throw new VlmscopeException("cannot read " + file + ": " + e.getMessage(), e);
        }
    }
}
