package org.vlmscope.graph.locate;

import ai.onnx.proto.OnnxMl.AttributeProto;
import ai.onnx.proto.OnnxMl.TensorProto;
import ai.onnx.proto.OnnxMl.TensorProto.DataType;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import org.vlmscope.core.HalfFloats;
import org.vlmscope.graph.Node;
import org.vlmscope.graph.Value;

/** Reads one-element float constants (a norm's epsilon, a Pow's exponent) stored inline in the graph. */
final class Scalars {
    private Scalars() {
    }

    /** The value of a one-element float tensor held by an initializer or Constant node, or null otherwise. */
    static Double of(Value v) {
        if (v == null) {
            return null;
        }
        TensorProto t = v.initializer();
        Node producer = v.producer();
        if (t == null && producer != null && producer.opType().equals("Constant")) {
            AttributeProto one = producer.attribute("value_float");
            if (one != null) {
                return (double) one.getF();
            }
            AttributeProto value = producer.attribute("value");
            t = value == null ? null : value.getT();
        }
        if (t == null || t.getDataLocation() == TensorProto.DataLocation.EXTERNAL) {
            return null;
        }
        long count = 1;
        for (long d : t.getDimsList()) {
            count *= d;
        }
        if (count != 1) {
            return null;
        }
        DataType type = DataType.forNumber(t.getDataType());
        ByteBuffer raw = t.getRawData().asReadOnlyByteBuffer().order(ByteOrder.LITTLE_ENDIAN);
        if (type == DataType.FLOAT) {
            return (double) (t.getFloatDataCount() > 0 ? t.getFloatData(0) : raw.getFloat());
        }
        if (type == DataType.DOUBLE) {
            return t.getDoubleDataCount() > 0 ? t.getDoubleData(0) : raw.getDouble();
        }
        if (type == DataType.FLOAT16) {
            short bits = t.getInt32DataCount() > 0 ? (short) t.getInt32Data(0) : raw.getShort();
            return (double) HalfFloats.fp16ToFloat(bits);
        }
        return null;
    }
}
