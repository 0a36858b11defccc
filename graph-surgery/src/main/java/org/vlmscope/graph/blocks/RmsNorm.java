package org.vlmscope.graph.blocks;

import ai.onnx.proto.OnnxMl.TensorProto.DataType;
import org.vlmscope.graph.Ops;
import org.vlmscope.graph.Value;

/**
 * RMSNorm without its weight, as Hugging Face's LlamaRMSNorm computes it: in float32,
 * x / sqrt(mean(x^2) + eps), cast back to the compute type. Shared by the exporter and the logit-lens pass so
 * the lens normalises exactly as the model does.
 */
public final class RmsNorm {
    private RmsNorm() {
    }

    /** The normalised tensor in {@code compute}; the last node writes {@code outputName}, or a fresh name when null. */
    public static Value normalized(Ops ops, Value x, double eps, DataType compute, String outputName) {
        Value x32 = compute == DataType.FLOAT ? x : ops.op("Cast").in(x).attr("to", (long) DataType.FLOAT_VALUE).out();
        Value sq = ops.op("Mul").in(x32, x32).out();
        Value variance = ops.reduceLastAxis("ReduceMean", sq);
        Value denom = ops.op("Sqrt").in(ops.op("Add").in(variance, ops.scalar(eps, DataType.FLOAT)).out()).out();
        Value normed = ops.op("Mul").in(x32, ops.op("Reciprocal").in(denom).out()).out();
        var last = compute == DataType.FLOAT ? ops.op("Identity").in(normed)
                : ops.op("Cast").in(normed).attr("to", (long) compute.getNumber());
        return outputName == null ? last.out() : last.out(outputName);
    }
}
