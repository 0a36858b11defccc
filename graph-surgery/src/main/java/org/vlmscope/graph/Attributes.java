package org.vlmscope.graph;

import ai.onnx.proto.OnnxMl.AttributeProto;
import ai.onnx.proto.OnnxMl.AttributeProto.AttributeType;
import ai.onnx.proto.OnnxMl.TensorProto;
import com.google.protobuf.ByteString;
import java.util.List;

/** Builds AttributeProtos from plain Java values. */
public final class Attributes {
    private Attributes() {
    }

    public static AttributeProto of(String name, Object value) {
        AttributeProto.Builder b = AttributeProto.newBuilder().setName(name);
        if (value instanceof Integer || value instanceof Long) {
            b.setType(AttributeType.INT).setI(((Number) value).longValue());
        } else if (value instanceof Float || value instanceof Double) {
            b.setType(AttributeType.FLOAT).setF(((Number) value).floatValue());
        } else if (value instanceof String s) {
            b.setType(AttributeType.STRING).setS(ByteString.copyFromUtf8(s));
        } else if (value instanceof long[] ints) {
            b.setType(AttributeType.INTS);
            for (long i : ints) {
                b.addInts(i);
            }
        } else if (value instanceof int[] ints) {
            b.setType(AttributeType.INTS);
            for (int i : ints) {
                b.addInts(i);
            }
        } else if (value instanceof float[] floats) {
            b.setType(AttributeType.FLOATS);
            for (float f : floats) {
                b.addFloats(f);
            }
        } else if (value instanceof List<?> list && list.stream().allMatch(x -> x instanceof Integer || x instanceof Long)) {
            b.setType(AttributeType.INTS);
            list.forEach(x -> b.addInts(((Number) x).longValue()));
        } else if (value instanceof List<?> list && list.stream().allMatch(x -> x instanceof Float || x instanceof Double)) {
            b.setType(AttributeType.FLOATS);
            list.forEach(x -> b.addFloats(((Number) x).floatValue()));
        } else if (value instanceof TensorProto t) {
            b.setType(AttributeType.TENSOR).setT(t);
        } else {
            throw new GraphException("attribute '" + name + "': unsupported value type "
                    + (value == null ? "null" : value.getClass().getSimpleName()));
        }
        return b.build();
    }
}
