package org.vlmscope.runtime.session;

import ai.onnxruntime.OnnxJavaType;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import org.vlmscope.core.DType;
import org.vlmscope.core.SafetensorsWriter.NamedTensor;
import org.vlmscope.core.VlmscopeException;

/** Copies between host tensors (little-endian bytes) and ONNX Runtime tensors. */
public final class OrtTensors {
    private OrtTensors() {
    }

    public static OnnxTensor toOrt(OrtEnvironment env, NamedTensor t) {
        ByteBuffer direct = ByteBuffer.allocateDirect(t.data().remaining()).order(ByteOrder.nativeOrder());
        if (ByteOrder.nativeOrder() != ByteOrder.LITTLE_ENDIAN) {
            throw new VlmscopeException("vlmscope needs a little-endian machine");
        }
        direct.put(t.data().duplicate()).flip();
        try {
            return OnnxTensor.createTensor(env, direct, t.shape(), javaType(t.dtype()));
        } catch (OrtException e) {
            throw new VlmscopeException("cannot create ONNX Runtime tensor '" + t.name() + "': " + e.getMessage(), e);
        }
    }

    public static NamedTensor fromOrt(String name, OnnxTensor t) {
        ByteBuffer bytes = t.getByteBuffer();
        ByteBuffer heap = ByteBuffer.allocate(bytes.remaining()).order(ByteOrder.LITTLE_ENDIAN);
        heap.put(bytes.order(ByteOrder.nativeOrder())).flip();
        return new NamedTensor(name, dtype(t.getInfo().type), t.getInfo().getShape(), heap);
    }

    public static OnnxJavaType javaType(DType d) {
        return switch (d) {
            case F32 -> OnnxJavaType.FLOAT;
            case F16 -> OnnxJavaType.FLOAT16;
            case BF16 -> OnnxJavaType.BFLOAT16;
            case F64 -> OnnxJavaType.DOUBLE;
            case I64 -> OnnxJavaType.INT64;
            case I32 -> OnnxJavaType.INT32;
            case I16 -> OnnxJavaType.INT16;
            case I8 -> OnnxJavaType.INT8;
            case U8 -> OnnxJavaType.UINT8;
            case BOOL -> OnnxJavaType.BOOL;
        };
    }

    public static DType dtype(OnnxJavaType t) {
        return switch (t) {
            case FLOAT -> DType.F32;
            case FLOAT16 -> DType.F16;
            case BFLOAT16 -> DType.BF16;
            case DOUBLE -> DType.F64;
            case INT64 -> DType.I64;
            case INT32 -> DType.I32;
            case INT16 -> DType.I16;
            case INT8 -> DType.I8;
            case UINT8 -> DType.U8;
            case BOOL -> DType.BOOL;
            default -> throw new VlmscopeException("ONNX Runtime tensor type " + t + " is not supported");
        };
    }
}
