package org.vlmscope.runtime.run;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import java.nio.LongBuffer;
import org.vlmscope.core.VlmscopeException;

/** Small int64 inputs of the graphs: ids, masks and positions, one row per batch entry. */
final class Inputs {
    private Inputs() {
    }

    static OnnxTensor longs(OrtEnvironment env, long[][] rows) {
        int width = rows.length == 0 ? 0 : rows[0].length;
        LongBuffer buf = LongBuffer.allocate(rows.length * width);
        for (long[] row : rows) {
            if (row.length != width) {
                throw new VlmscopeException("all rows of a batch must have the same length; got " + row.length
                        + " and " + width);
            }
            buf.put(row);
        }
        buf.flip();
        try {
            return OnnxTensor.createTensor(env, buf, new long[] {rows.length, width});
        } catch (OrtException e) {
            throw new VlmscopeException("cannot create an int64 input: " + e.getMessage(), e);
        }
    }

    /**
     * position_ids from [axes][batch][seq]: [batch, seq] for one axis, [axes, batch, seq] for more (Qwen2-VL's
     * M-RoPE).
     */
    static OnnxTensor positions(OrtEnvironment env, long[][][] positions) {
        if (positions.length == 1) {
            return longs(env, positions[0]);
        }
        int batch = positions[0].length;
        int seq = positions[0][0].length;
        LongBuffer buf = LongBuffer.allocate(positions.length * batch * seq);
        for (long[][] axis : positions) {
            for (long[] row : axis) {
                buf.put(row);
            }
        }
        buf.flip();
        try {
            return OnnxTensor.createTensor(env, buf, new long[] {positions.length, batch, seq});
        } catch (OrtException e) {
            throw new VlmscopeException("cannot create an int64 input: " + e.getMessage(), e);
        }
    }

    /** A 1-D int64 tensor (positions that apply to every row). */
    static OnnxTensor vector(OrtEnvironment env, long... values) {
        try {
            return OnnxTensor.createTensor(env, LongBuffer.wrap(values), new long[] {values.length});
        } catch (OrtException e) {
            throw new VlmscopeException("cannot create an int64 input: " + e.getMessage(), e);
        }
    }

    /** [batch, width] filled with {@code value}. */
    static long[][] filled(int batch, int width, long value) {
        long[][] rows = new long[batch][width];
        for (long[] row : rows) {
            java.util.Arrays.fill(row, value);
        }
        return rows;
    }

    /** [batch, count] of start, start+1, ... */
    static long[][] range(int batch, long start, int count) {
        long[][] rows = new long[batch][count];
        for (long[] row : rows) {
            for (int i = 0; i < count; i++) {
                row[i] = start + i;
            }
        }
        return rows;
    }
}
