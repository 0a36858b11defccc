package org.vlmscope.exporter;

import ai.onnx.proto.OnnxMl.TensorProto;
import ai.onnx.proto.OnnxMl.TensorProto.DataType;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import org.vlmscope.core.DType;
import org.vlmscope.core.TensorConversion;
import org.vlmscope.core.TensorInfo;
import org.vlmscope.core.VlmscopeException;
import org.vlmscope.core.WeightSource;
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
    private final FileChannel channel;
    private long position;
    private long tensorCount;

    WeightWriter(Path file, DType target) {
        this.file = file;
        this.location = file.getFileName().toString();
        this.target = target;
        try {
            this.channel = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
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
     * Linear weights as [out, in] and the graph multiplies activations by [in, out]. Works one block of output
     * rows at a time so memory stays bounded.
     */
    TensorProto transposedRows(String onnxName, WeightSource source, TensorInfo info, long rowStart, long rows) {
        if (info.shape().length != 2) {
            throw new VlmscopeException("tensor " + info.name() + " should be a 2-D matrix, has shape "
                    + java.util.Arrays.toString(info.shape()));
        }
        long cols = info.shape()[1];
        int esize = info.dtype().byteSize();
        ByteBuffer data = source.data(info.name());
        int blockCols = (int) Math.max(1, Math.min(cols, BLOCK_BYTES / 4 / Math.max(rows, 1)));
        float[] block = new float[(int) (blockCols * rows)];
        ByteBuffer rowF32 = ByteBuffer.allocate(blockCols * 4).order(ByteOrder.LITTLE_ENDIAN);
        ByteBuffer staged = ByteBuffer.allocate(block.length * 4).order(ByteOrder.LITTLE_ENDIAN);
        ByteBuffer out = ByteBuffer.allocate(block.length * target.byteSize()).order(ByteOrder.LITTLE_ENDIAN);
        long begin = beginTensor(rows * cols);
        for (long c0 = 0; c0 < cols; c0 += blockCols) {
            int bc = (int) Math.min(blockCols, cols - c0);
            for (long r = 0; r < rows; r++) {
                ByteBuffer segment = slice(data, ((rowStart + r) * cols + c0) * esize, (long) bc * esize);
                rowF32.clear();
                TensorConversion.convert(segment, info.dtype(), rowF32, DType.F32, bc);
                rowF32.flip();
                for (int c = 0; c < bc; c++) {
                    block[(int) (c * rows + r)] = rowF32.getFloat();
                }
            }
            int n = (int) (bc * rows);
            staged.clear();
            staged.asFloatBuffer().put(block, 0, n);
            staged.limit(n * 4);
            out.clear();
            TensorConversion.convert(staged, DType.F32, out, target, n);
            out.flip();
            writeFully(out);
        }
        return reference(onnxName, new long[] {cols, rows}, begin, rows * cols);
    }

    /** Values the exporter computed itself (for example rotary frequencies), converted to the export dtype. */
    TensorProto values(String onnxName, long[] dims, float[] values, DType dtype) {
        ByteBuffer staged = ByteBuffer.allocate(values.length * 4).order(ByteOrder.LITTLE_ENDIAN);
        staged.asFloatBuffer().put(values);
        ByteBuffer out = ByteBuffer.allocate(values.length * dtype.byteSize()).order(ByteOrder.LITTLE_ENDIAN);
        TensorConversion.convert(staged, DType.F32, out, dtype, values.length);
        out.flip();
        long begin = beginTensor(values.length);
        writeFully(out);
        return ExternalData.reference(onnxName, onnxType(dtype), dims, location, begin, (long) values.length * dtype.byteSize());
    }

    private long beginTensor(long count) {
        long align = count * target.byteSize() >= LARGE ? PAGE : 64;
        position = (position + align - 1) / align * align;
        tensorCount++;
        return position;
    }

    private TensorProto reference(String onnxName, long[] dims, long begin, long count) {
        return ExternalData.reference(onnxName, onnxType(target), dims, location, begin, count * target.byteSize());
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

    static DataType onnxType(DType dtype) {
        return switch (dtype) {
            case F32 -> DataType.FLOAT;
            case F16 -> DataType.FLOAT16;
            case BF16 -> DataType.BFLOAT16;
            case F64 -> DataType.DOUBLE;
            case I64 -> DataType.INT64;
            case I32 -> DataType.INT32;
            case I16 -> DataType.INT16;
            case I8 -> DataType.INT8;
            case U8 -> DataType.UINT8;
            case BOOL -> DataType.BOOL;
        };
    }

    @Override
    public void close() {
        try {
            channel.force(false);
            channel.close();
        } catch (IOException e) {
            throw new VlmscopeException("cannot finish " + file + ": " + e.getMessage(), e);
        }
    }
}
