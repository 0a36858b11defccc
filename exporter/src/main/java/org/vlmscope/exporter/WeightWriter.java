package org.vlmscope.exporter;

import ai.onnx.proto.OnnxMl.TensorProto;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import org.vlmscope.core.DType;
import org.vlmscope.core.HalfFloats;
import org.vlmscope.core.TensorConversion;
import org.vlmscope.core.TensorInfo;
import org.vlmscope.core.VlmscopeException;
import org.vlmscope.core.WeightSource;
import org.vlmscope.graph.ElemTypes;
import org.vlmscope.graph.ExternalData;

/**
 * Streams checkpoint tensors into one ONNX external-data file, converted to the export dtype, and returns the
 * initializer metadata that points at them. Memory stays bounded by one staging block (a few MB) whatever the
 * tensor size: an export never holds a model on the heap.
 */
final class WeightWriter implements AutoCloseable {
    /** Staging block for transposes; also bounds every other copy. */
    private static final int BLOCK_BYTES = 8 << 20;
    /** Large tensors start on a page boundary so ONNX Runtime can map them; small ones on 64 bytes. */
    private static final long PAGE = 4096;
    private static final long LARGE = 1 << 20;

    private final Path file;
    private final String location;
    private final DType target;
    /** Null when the export writes graphs only: offsets are assigned, no byte is read or written. */
    private final FileChannel channel;
    private long position;
    private long tensorCount;

    WeightWriter(Path file, DType target, boolean writeData) {
        this.file = file;
        this.location = file.getFileName().toString();
        this.target = target;
        try {
            this.channel = !writeData ? null : FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                    StandardOpenOption.TRUNCATE_EXISTING);
        } catch (IOException e) {
            throw new VlmscopeException("cannot create " + file + ": " + e.getMessage(), e);
        }
    }

    DType target() {
        return target;
    }

    long bytesWritten() {
        return position;
    }

    long tensorCount() {
        return tensorCount;
    }

    /** Elements [start, start+count) of a tensor, reshaped to {@code dims} (a whole tensor or a row range). */
    TensorProto copy(String onnxName, WeightSource source, TensorInfo info, long start, long count, long[] dims) {
        if (channel == null) {
            return skip(onnxName, dims, count);
        }
        ByteBuffer src = slice(source.data(info.name()), start * info.dtype().byteSize(),
                count * info.dtype().byteSize());
        long begin = beginTensor(count);
        long done = 0;
        long chunk = BLOCK_BYTES / 4;
        ByteBuffer out = ByteBuffer.allocate((int) (Math.min(chunk, Math.max(count, 1)) * target.byteSize()))
                .order(ByteOrder.LITTLE_ENDIAN);
        while (done < count) {
            long n = Math.min(chunk, count - done);
            out.clear();
            TensorConversion.convert(src, info.dtype(), out, target, n);
            out.flip();
            writeFully(out);
            done += n;
        }
        return reference(onnxName, dims, begin, count);
    }

    /** A whole tensor, converted. */
    TensorProto copy(String onnxName, WeightSource source, TensorInfo info) {
        return copy(onnxName, source, info, 0, info.numel(), info.shape());
    }

    /**
     * Rows [rowStart, rowStart+rows) of a 2-D tensor [R, C] written transposed, as [C, rows]: Hugging Face stores
     * Linear weights as [out, in] and the graph multiplies activations by [in, out]. Works on one band of source
     * columns at a time (bulk reads of each row's band, then a cache-blocked transpose), so memory stays bounded.
     */
    TensorProto transposedRows(String onnxName, WeightSource source, TensorInfo info, long rowStart, long rows) {
        if (info.shape().length != 2) {
            throw new VlmscopeException("tensor " + info.name() + " should be a 2-D matrix, has shape "
                    + java.util.Arrays.toString(info.shape()));
        }
        long cols = info.shape()[1];
        if (channel == null) {
            return skip(onnxName, new long[] {cols, rows}, rows * cols);
        }
        int r = Math.toIntExact(rows);
        int band = (int) Math.max(1, Math.min(cols, BLOCK_BYTES / 4 / Math.max(rows, 1)));
        float[] tile = new float[r * band];
        float[] transposed = new float[r * band];
        RowReader reader = new RowReader(source.data(info.name()), info.dtype(), band);
        long begin = beginTensor(rows * cols);
        for (long c0 = 0; c0 < cols; c0 += band) {
            int width = (int) Math.min(band, cols - c0);
            for (int i = 0; i < r; i++) {
                reader.read((rowStart + i) * cols + c0, tile, i * width, width);
            }
            transpose(tile, r, width, transposed);
            writeFloats(transposed, r * width);
        }
        return reference(onnxName, new long[] {cols, rows}, begin, rows * cols);
    }

    /** out[j][i] = in[i][j] for in [rows, width], in 64 x 64 blocks so both sides stay in cache. */
    private static void transpose(float[] in, int rows, int width, float[] out) {
        final int block = 64;
        for (int i0 = 0; i0 < rows; i0 += block) {
            int i1 = Math.min(rows, i0 + block);
            for (int j0 = 0; j0 < width; j0 += block) {
                int j1 = Math.min(width, j0 + block);
                for (int i = i0; i < i1; i++) {
                    int rowBase = i * width;
                    for (int j = j0; j < j1; j++) {
                        out[j * rows + i] = in[rowBase + j];
                    }
                }
            }
        }
    }

    /** Writes {@code count} floats converted to the export dtype. */
    private void writeFloats(float[] values, int count) {
        ByteBuffer out = ByteBuffer.allocate(count * target.byteSize()).order(ByteOrder.LITTLE_ENDIAN);
        switch (target) {
            case F32 -> out.asFloatBuffer().put(values, 0, count);
            case F16 -> {
                short[] half = new short[count];
                for (int i = 0; i < count; i++) {
                    half[i] = HalfFloats.floatToFp16(values[i]);
                }
                out.asShortBuffer().put(half);
            }
            default -> throw new IllegalStateException("export dtype " + target);
        }
        writeFully(out);
    }

    /** Bulk reads of consecutive elements of a tensor as floats, whatever its floating dtype. */
    private static final class RowReader {
        private final DType dtype;
        private final java.nio.FloatBuffer floats;
        private final java.nio.ShortBuffer shorts;
        private final java.nio.DoubleBuffer doubles;
        private final short[] shortRow;
        private final double[] doubleRow;

        RowReader(ByteBuffer data, DType dtype, int maxCount) {
            ByteBuffer le = data.duplicate().order(ByteOrder.LITTLE_ENDIAN);
            this.dtype = dtype;
            this.floats = dtype == DType.F32 ? le.asFloatBuffer() : null;
            this.shorts = dtype == DType.F16 || dtype == DType.BF16 ? le.asShortBuffer() : null;
            this.doubles = dtype == DType.F64 ? le.asDoubleBuffer() : null;
            this.shortRow = shorts != null ? new short[maxCount] : null;
            this.doubleRow = doubles != null ? new double[maxCount] : null;
        }

        void read(long element, float[] dst, int offset, int count) {
            int index = Math.toIntExact(element);
            switch (dtype) {
                case F32 -> floats.get(index, dst, offset, count);
                case F16 -> {
                    shorts.get(index, shortRow, 0, count);
                    for (int i = 0; i < count; i++) {
                        dst[offset + i] = HalfFloats.fp16ToFloat(shortRow[i]);
                    }
                }
                case BF16 -> {
                    shorts.get(index, shortRow, 0, count);
                    for (int i = 0; i < count; i++) {
                        dst[offset + i] = Float.intBitsToFloat(shortRow[i] << 16);
                    }
                }
                case F64 -> {
                    doubles.get(index, doubleRow, 0, count);
                    for (int i = 0; i < count; i++) {
                        dst[offset + i] = (float) doubleRow[i];
                    }
                }
                default -> throw new VlmscopeException("cannot read " + dtype + " weights as floats");
            }
        }
    }

    /** Graphs-only export: the tensor gets its place in the data file, which is never written. */
    private TensorProto skip(String onnxName, long[] dims, long count) {
        long begin = beginTensor(count);
        position += count * target.byteSize();
        return reference(onnxName, dims, begin, count);
    }

    private long beginTensor(long count) {
        long align = count * target.byteSize() >= LARGE ? PAGE : 64;
        position = (position + align - 1) / align * align;
        tensorCount++;
        return position;
    }

    private TensorProto reference(String onnxName, long[] dims, long begin, long count) {
        return ExternalData.reference(onnxName, ElemTypes.of(target), dims, location, begin, count * target.byteSize());
    }

    private void writeFully(ByteBuffer buffer) {
        try {
            while (buffer.hasRemaining()) {
                position += channel.write(buffer, position);
            }
        } catch (IOException e) {
            throw new VlmscopeException("cannot write " + file + ": " + e.getMessage(), e);
        }
    }

    private static ByteBuffer slice(ByteBuffer data, long offset, long length) {
        return data.duplicate().order(ByteOrder.LITTLE_ENDIAN).position((int) offset).limit((int) (offset + length))
                .slice().order(ByteOrder.LITTLE_ENDIAN);
    }

    @Override
    public void close() {
        if (channel == null) {
            return;
        }
        try {
            channel.force(false);
            channel.close();
        } catch (IOException e) {
            throw new VlmscopeException("cannot finish " + file + ": " + e.getMessage(), e);
        }
    }
}
