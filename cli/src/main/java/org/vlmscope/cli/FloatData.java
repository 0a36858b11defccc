package org.vlmscope.cli;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import org.vlmscope.core.HalfFloats;
import org.vlmscope.core.SafetensorsWriter.NamedTensor;
import org.vlmscope.core.VlmscopeException;

/** The values of a floating-point tensor as floats, whatever its storage type (fp16 exports give F16 hooks). */
final class FloatData {
    private FloatData() {
    }

    static float[] of(NamedTensor t) {
        ByteBuffer b = t.data().duplicate().order(ByteOrder.LITTLE_ENDIAN);
        int n = Math.toIntExact(b.remaining() / t.dtype().byteSize());
        float[] out = new float[n];
        int base = b.position();
        switch (t.dtype()) {
            case F32 -> b.asFloatBuffer().get(out);
            case F16 -> {
                for (int i = 0; i < n; i++) {
                    out[i] = HalfFloats.fp16ToFloat(b.getShort(base + 2 * i));
                }
            }
            case BF16 -> {
                for (int i = 0; i < n; i++) {
                    out[i] = HalfFloats.bf16ToFloat(b.getShort(base + 2 * i));
                }
            }
            default -> throw new VlmscopeException("tensor " + t.name() + " has dtype " + t.dtype()
                    + "; expected F32, F16 or BF16");
        }
        return out;
    }
}
