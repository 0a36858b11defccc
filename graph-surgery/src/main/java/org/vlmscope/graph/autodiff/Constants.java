package org.vlmscope.graph.autodiff;

import ai.onnx.proto.OnnxMl.AttributeProto;
import ai.onnx.proto.OnnxMl.TensorProto;
import ai.onnx.proto.OnnxMl.TensorProto.DataType;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import org.vlmscope.graph.Node;
import org.vlmscope.graph.Value;

/** Reads small integer constants (axes, steps) that some rules must know when the backward graph is built. */
final class Constants {
    private Constants() {
    }

    /**
     * The values of an int64 or int32 tensor stored inline in an initializer or a Constant node, or null when
     * {@code v} is computed at run time or its bytes live in an external file.
     */
    static long[] longs(Value v) {
        TensorProto t = v.initializer();
        Node producer = v.producer();
        if (t == null && producer != null && producer.opType().equals("Constant")) {
            AttributeProto value = producer.attribute("value");
            AttributeProto ints = producer.attribute("value_ints");
            AttributeProto one = producer.attribute("value_int");
            if (ints != null) {
                return ints.getIntsList().stream().mapToLong(Long::longValue).toArray();
            }
            if (one != null) {
                return new long[] {one.getI()};
            }
            t = value == null ? null : value.getT();
        }
        if (t == null || t.getDataLocation() == TensorProto.DataLocation.EXTERNAL) {
            return null;
        }
        DataType type = DataType.forNumber(t.getDataType());
        if (type == DataType.INT64) {
            if (t.getRawData().isEmpty()) {
                return t.getInt64DataList().stream().mapToLong(Long::longValue).toArray();
            }
            ByteBuffer b = t.getRawData().asReadOnlyByteBuffer().order(ByteOrder.LITTLE_ENDIAN);
            long[] out = new long[b.remaining() / 8];
            b.asLongBuffer().get(out);
            return out;
        }
        if (type == DataType.INT32) {
            if (t.getRawData().isEmpty()) {
                return t.getInt32DataList().stream().mapToLong(Integer::longValue).toArray();
            }
            ByteBuffer b = t.getRawData().asReadOnlyByteBuffer().order(ByteOrder.LITTLE_ENDIAN);
            long[] out = new long[b.remaining() / 4];
            for (int i = 0; i < out.length; i++) {
                out[i] = b.getInt();
            }
            return out;
        }
        return null;
    }
}
