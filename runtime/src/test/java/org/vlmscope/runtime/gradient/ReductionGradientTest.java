package org.vlmscope.runtime.gradient;

import static org.vlmscope.runtime.gradient.GradCheck.dims;
import static org.vlmscope.runtime.gradient.GradCheck.feeds;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.vlmscope.graph.Ops;
import org.vlmscope.graph.Value;

/**
 * Reductions and Softmax against central differences in double precision, with kept and dropped axes, negative
 * axes and reductions over everything, at two sizes of the symbolic dimensions.
 */
class ReductionGradientTest {

    private static Value square(Ops ops, Value v) {
        return ops.op("Mul").in(v, v).out();
    }

    /** axes as an input (ReduceSum since opset 13), kept and dropped, and over all axes. */
    @Test
    void reduceSum() {
        GradCheck check = GradCheck.inDouble(b -> {
            Ops o = b.ops();
            Value x = square(o, b.input("x", "b", "s", 3));
            Value kept = o.op("ReduceSum").in(x, o.ints(-1)).attr("keepdims", 1L).out();
            Value dropped = o.op("ReduceSum").in(x, o.ints(0, 2)).attr("keepdims", 0L).out();
            Value all = o.op("ReduceSum").in(x).attr("keepdims", 0L).out();
            Value partial = o.op("Mul").in(square(o, kept), o.op("Unsqueeze").in(dropped, o.ints(0, 2)).out()).out();
            return o.op("Add").in(partial, all).out();
        });
        check.verify("x", feeds("x", dims(2, 3, 3)));
        check.verify("x", feeds("x", dims(3, 1, 3)));
    }

    /** axes as an attribute (ReduceMean and ReduceMax before opset 18), kept and dropped, and over all axes. */
    @ParameterizedTest
    @ValueSource(strings = {"ReduceMean", "ReduceMax"})
    void reductionsWithAxesAttribute(String op) {
        GradCheck check = GradCheck.inDouble(b -> {
            Ops o = b.ops();
            Value x = square(o, b.input("x", "b", "s", 3));
            Value kept = o.op(op).in(x).attr("axes", new long[] {-1}).attr("keepdims", 1L).out();
            Value dropped = o.op(op).in(x).attr("axes", new long[] {1}).attr("keepdims", 0L).out();
            Value all = o.op(op).in(x).attr("keepdims", 0L).out();
            Value partial = o.op("Mul").in(square(o, kept), o.op("Unsqueeze").in(dropped, o.ints(1)).out()).out();
            return o.op("Add").in(partial, all).out();
        });
        check.verify("x", feeds("x", dims(2, 3, 3)));
        check.verify("x", feeds("x", dims(1, 4, 3)));
    }

    /** Along the last axis (attention) and along a middle one. */
    @ParameterizedTest
    @ValueSource(longs = {-1, 1})
    void softmax(long axis) {
        GradCheck check = GradCheck.inDouble(b -> {
            Ops o = b.ops();
            Value x = o.op("Mul").in(b.input("x", "b", "s", 4), o.scalar(3, ai.onnx.proto.OnnxMl.TensorProto.DataType.DOUBLE)).out();
            return o.op("Softmax").in(x).attr("axis", axis).out();
        });
        check.verify("x", feeds("x", dims(2, 3, 4)));
        check.verify("x", feeds("x", dims(1, 5, 4)));
    }
}
