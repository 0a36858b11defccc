package org.vlmscope.core;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;

/**
 * A single vector (a mean visual token, a patch value) from a file: a {@code .safetensors} file holding one
 * tensor (or the tensor named after a colon, {@code FILE:TENSOR}), or a PyTorch {@code .pt} archive of one
 * float32 vector. PyTorch archives are zip files whose pickle describes the tensor and names its storage entry; the
 * pickle is never executed, only read as data ({@link TorchPickle}).
 */
public final class VectorFile {
    /** The largest storage read, in float32 values: its bytes must fit one Java array. */
    private static final long MAX_VALUES = (Integer.MAX_VALUE - 8) / Float.BYTES;

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

    /**
     * A PyTorch archive: {@code <root>/data.pkl} describes the tensor (read by {@link TorchPickle}, never executed),
     * {@code <root>/data/<key>} holds its storage. Only a float32 tensor with at most one dimension above 1, laid
     * out contiguously in its storage, is a vector; anything else is refused rather than reinterpreted.
     */
    private static float[] readTorch(Path file) {
        try (ZipFile zip = new ZipFile(file.toFile())) {
            ZipEntry pickle = null;
            for (ZipEntry e : Collections.list(zip.entries())) {
                if (e.getName().matches("[^/]+/data\\.pkl")) {
                    if (pickle != null) {
                        throw new VlmscopeException(file + " holds two pickles (" + pickle.getName() + ", "
                                + e.getName() + "): expected a PyTorch archive of one tensor");
                    }
                    pickle = e;
                }
            }
            if (pickle == null) {
                throw new VlmscopeException(file + " is a zip file without <archive>/data.pkl: expected a PyTorch "
                        + "archive of one tensor (torch.save)");
            }
            String root = pickle.getName().substring(0, pickle.getName().indexOf('/'));
            TorchPickle tensor = TorchPickle.parse(readBounded(zip, pickle, TorchPickle.MAX_BYTES, file), file.toString());
            checkLittleEndian(zip, root, file);
            int count = vectorLength(file, tensor);
            ZipEntry storage = zip.getEntry(root + "/data/" + tensor.key());
            if (storage == null) {
                throw new VlmscopeException(file + ": the pickle's storage '" + tensor.key() + "' has no entry "
                        + root + "/data/" + tensor.key());
            }
            long storageBytes = tensor.storageNumel() * Float.BYTES;
            byte[] bytes = readBounded(zip, storage, storageBytes, file);
            if (bytes.length != storageBytes) {
                throw new VlmscopeException(file + ": storage " + storage.getName() + " has " + bytes.length
                        + " bytes but the pickle declares " + tensor.storageNumel() + " float32 values ("
                        + storageBytes + " bytes)");
            }
            float[] out = new float[count];
            ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer()
                    .position((int) tensor.offset()).get(out);
            return out;
        } catch (java.util.zip.ZipException e) {
            throw new VlmscopeException(file + " is not a PyTorch .pt archive (zip): " + e.getMessage(), e);
        } catch (IOException e) {
            throw new VlmscopeException("cannot read " + file + ": " + e.getMessage(), e);
        }
    }

    /** Elements of the vector {@code tensor} describes, after checking it is one contiguous float32 run. */
    private static int vectorLength(Path file, TorchPickle tensor) {
        if (!tensor.storageClass().equals("FloatStorage")) {
            throw new VlmscopeException(file + " holds a " + tensor.storageClass() + " tensor: expected float32 "
                    + "(FloatStorage); save it with tensor.float()");
        }
        long[] shape = tensor.shape();
        long[] stride = tensor.stride();
        if (stride.length != shape.length) {
            throw new VlmscopeException(file + ": tensor " + tensor + " has " + stride.length + " strides for "
                    + shape.length + " dimensions");
        }
        long count = 1;
        int longDims = 0;
        for (long size : shape) {
            count = size == 0 ? 0 : count > Integer.MAX_VALUE / size ? Long.MAX_VALUE : count * size;
            longDims += size > 1 ? 1 : 0;
        }
        if (longDims > 1) {
            throw new VlmscopeException(file + " holds a tensor of size " + Arrays.toString(shape)
                    + ": expected a vector (one dimension above 1)");
        }
        for (int i = 0; i < shape.length; i++) {
            if (shape[i] > 1 && stride[i] != 1) {
                throw new VlmscopeException(file + ": tensor " + tensor + " is not contiguous in its storage "
                        + "(stride " + stride[i] + " where 1 is expected); save tensor.contiguous()");
            }
        }
        if (tensor.storageNumel() > MAX_VALUES) {
            throw new VlmscopeException(file + ": storage of " + tensor.storageNumel() + " values is larger than a "
                    + "vector this reader takes (at most " + MAX_VALUES + ")");
        }
        if (count > tensor.storageNumel() || tensor.offset() > tensor.storageNumel() - count) {
            throw new VlmscopeException(file + ": tensor " + tensor + " reads past its storage of "
                    + tensor.storageNumel() + " values");
        }
        return (int) count;
    }

    private static void checkLittleEndian(ZipFile zip, String root, Path file) throws IOException {
        ZipEntry order = zip.getEntry(root + "/byteorder");
        if (order == null) {
            return; // torch wrote no byteorder entry before 1.13.1; those archives are little-endian
        }
        String byteOrder = new String(readBounded(zip, order, 16, file), StandardCharsets.US_ASCII).trim();
        if (!byteOrder.equals("little")) {
            throw new VlmscopeException(file + " stores its tensor '" + byteOrder + "'-endian; expected little");
        }
    }

    /** The entry's bytes, refusing more than {@code limit}: a zip entry's declared size is not to be trusted. */
    private static byte[] readBounded(ZipFile zip, ZipEntry entry, long limit, Path file) throws IOException {
        try (InputStream in = zip.getInputStream(entry)) {
            byte[] bytes = in.readNBytes((int) Math.min(limit + 1, Integer.MAX_VALUE - 8));
            if (bytes.length > limit) {
                throw new VlmscopeException(file + ": entry " + entry.getName() + " holds more than the " + limit
                        + " bytes expected");
            }
            return bytes;
        }
    }
}
