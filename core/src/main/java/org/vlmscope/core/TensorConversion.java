package org.vlmscope.core;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.EnumSet;
import java.util.Set;

/**
 * Element-wise conversion between floating dtypes on little-endian byte buffers, used to stream
 * checkpoint weights into fp32 or fp16 external-data files without materialising them as arrays.
 */
public final class TensorConversion {
    private static final Set<DType> SOURCES = EnumSet.of(DType.F32, DType.F16, DType.BF16, DType.F64);
    private static final Set<DType> TARGETS = EnumSet.of(DType.F32, DType.F16, DType.BF16);

    private TensorConversion() {
    }

    /**
     * Converts {@code count} elements from {@code src} (at its position) into {@code dst} (at its
     * position) and advances both positions. Both buffers are read and written little-endian
     * whatever their own byte order. Same dtypes are copied in bulk (any dtype).
     */
    public static void convert(ByteBuffer src, DType from, ByteBuffer dst, DType to, long count) {
        if (count < 0) {
            throw new IllegalArgumentException("negative element count " + count);
        }
        if (from != to && (!SOURCES.contains(from) || !TARGETS.contains(to))) {
            throw new VlmscopeException("cannot convert " + from + " to " + to + "; sources: " + SOURCES
                    + ", targets: " + TARGETS);
        }
        long srcBytes = count * from.byteSize();
        long dstBytes = count * to.byteSize();
        if (srcBytes > src.remaining() || dstBytes > dst.remaining()) {
            throw new IllegalArgumentException("converting " + count + " elements " + from + " -> " + to
                    + " needs " + srcBytes + " source and " + dstBytes + " destination bytes; buffers have "
                    + src.remaining() + " and " + dst.remaining());
        }
        int n = (int) count;
        if (from == to) {
            ByteBuffer chunk = src.slice().limit((int) srcBytes);
            dst.put(chunk);
            src.position(src.position() + (int) srcBytes);
            return;
        }
        // Slices carry their own byte order, so the callers' buffers keep theirs.
        ByteBuffer in = src.slice().order(ByteOrder.LITTLE_ENDIAN);
        ByteBuffer out = dst.slice().order(ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < n; i++) {
            float value = switch (from) {
                case F32 -> in.getFloat(i * 4);
                case F16 -> HalfFloats.fp16ToFloat(in.getShort(i * 2));
                case BF16 -> HalfFloats.bf16ToFloat(in.getShort(i * 2));
                // F64 narrows through float, as PyTorch's half conversions do.
                case F64 -> (float) in.getDouble(i * 8);
                default -> throw new AssertionError(from);
            };
            switch (to) {
                case F32 -> out.putFloat(i * 4, value);
                case F16 -> out.putShort(i * 2, HalfFloats.floatToFp16(value));
                case BF16 -> out.putShort(i * 2, HalfFloats.floatToBf16(value));
                default -> throw new AssertionError(to);
            }
        }
        src.position(src.position() + (int) srcBytes);
        dst.position(dst.position() + (int) dstBytes);
    }

    /** All remaining elements of {@code data} (little-endian {@code dtype}) as floats; {@code what} names it in errors. */
    public static float[] toFloats(ByteBuffer data, DType dtype, String what) {
        if (!dtype.isFloating()) {
            throw new VlmscopeException("tensor " + what + " has dtype " + dtype + "; a float array needs F32, F16, BF16 or F64");
        }
        int count = Math.toIntExact(data.remaining() / dtype.byteSize());
        ByteBuffer f32 = ByteBuffer.allocate(count * Float.BYTES).order(java.nio.ByteOrder.LITTLE_ENDIAN);
        convert(data.duplicate(), dtype, f32, DType.F32, count);
        float[] out = new float[count];
        f32.flip();
        f32.asFloatBuffer().get(out);
        return out;
    }
}
