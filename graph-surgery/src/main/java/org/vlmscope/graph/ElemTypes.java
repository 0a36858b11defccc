package org.vlmscope.graph;

import ai.onnx.proto.OnnxMl.TensorProto.DataType;
import org.vlmscope.core.DType;

/** Names and sizes of ONNX element types. */
public final class ElemTypes {
    private ElemTypes() {
    }

    /** The ONNX element type of a safetensors dtype. */
    public static DataType of(DType dtype) {
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

    public static String shortName(DataType t) {
        return switch (t) {
            case FLOAT -> "float32";
            case FLOAT16 -> "float16";
            case BFLOAT16 -> "bfloat16";
            case DOUBLE -> "float64";
            case INT64 -> "int64";
            case INT32 -> "int32";
            case INT8 -> "int8";
            case UINT8 -> "uint8";
            case BOOL -> "bool";
            default -> t.name().toLowerCase();
        };
    }

    /** Bytes per element, or -1 for types without a fixed byte size (strings, 4-bit types). */
    public static int byteSize(DataType t) {
        return switch (t) {
            case DOUBLE, INT64, UINT64 -> 8;
            case FLOAT, INT32, UINT32 -> 4;
            case FLOAT16, BFLOAT16, INT16, UINT16 -> 2;
            case INT8, UINT8, BOOL, FLOAT8E4M3FN, FLOAT8E4M3FNUZ, FLOAT8E5M2, FLOAT8E5M2FNUZ -> 1;
            default -> -1;
        };
    }

    public static boolean isFloating(DataType t) {
        return t == DataType.FLOAT || t == DataType.FLOAT16 || t == DataType.BFLOAT16 || t == DataType.DOUBLE;
    }
}
