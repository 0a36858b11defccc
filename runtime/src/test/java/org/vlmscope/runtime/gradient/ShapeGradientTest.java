package org.vlmscope.runtime.gradient;

import static org.vlmscope.runtime.gradient.GradCheck.dims;
import static org.vlmscope.runtime.gradient.GradCheck.feeds;

import ai.onnx.proto.OnnxMl.TensorProto.DataType;
import org.junit.jupiter.api.Test;
import org.vlmscope.graph.Ops;
import org.vlmscope.graph.Value;

/**
 * Rules of the data-movement ops against central differences, in double precision, each at two sizes of the
 * symbolic dimensions. A nonlinearity after the op (x * x) makes the gradient depend on where each element went.
 */
class ShapeGradientTest {

    private static Value square(Ops ops, Value v) {
        return ops.op("Mul").in(v, v).out();
    }

    @Test
    void reshapeSqueezeUnsqueeze() {
        GradCheck check = GradCheck.inDouble(b -> {
            Ops o = b.ops();
            Value x = b.input("x", "b", 1, "s", 6);
            Value split = o.op("Reshape").in(x, o.ints(0, 0, -1, 2, 3)).out();
            Value squeezed = o.op("Squeeze").in(split, o.ints(1)).out();
            Value unsqueezed = o.op("Unsqueeze").in(squeezed, o.ints(0, -1)).out();
            return square(o, unsqueezed);
        });
        check.verify("x", feeds("x", dims(2, 1, 3, 6)));
        check.verify("x", feeds("x", dims(1, 1, 2, 6)));
    }

    @Test
    void transposeWithAndWithoutPerm() {
        GradCheck check = GradCheck.inDouble(b -> {
            Ops o = b.ops();
            Value x = b.input("x", "b", "s", 4);
            Value permuted = o.op("Transpose").in(x).attr("perm", new long[] {1, 2, 0}).out();
            Value reversed = o.op("Transpose").in(square(o, permuted)).out();
            // [b, s, 4] -> [s, 4, b] -> [b, 4, s]
            return o.op("Mul").in(reversed, b.input("w", "b", 4, "s")).out();
        });
        check.verify("x", feeds("x", dims(2, 3, 4), "w", dims(2, 4, 3)));
        check.verify("x", feeds("x", dims(3, 1, 4), "w", dims(3, 4, 1)));
    }

    /** Three pieces along a dynamic axis, one tensor used twice; and along the last axis with a negative index. */
    @Test
    void concatSplitsTheGradientBack() {
        GradCheck middle = GradCheck.inDouble(b -> {
            Value x = b.input("x", "b", "s", 3);
            Value y = b.input("y", "b", 2, 3);
            return square(b.ops(), b.ops().op("Concat").in(x, y, x).attr("axis", 1L).out());
        });
        middle.verifyEach(feeds("x", dims(2, 3, 3), "y", dims(2, 2, 3)), "x", "y");
        middle.verifyEach(feeds("x", dims(1, 1, 3), "y", dims(1, 2, 3)), "x", "y");
        GradCheck last = GradCheck.inDouble(b -> {
            Value x = b.input("x", "b", "s");
            Value y = b.input("y", "b", 2);
            return square(b.ops(), b.ops().op("Concat").in(y, x).attr("axis", -1L).out());
        });
        last.verifyEach(feeds("x", dims(2, 3), "y", dims(2, 2)), "x", "y");
        last.verifyEach(feeds("x", dims(3, 5), "y", dims(3, 2)), "x", "y");
    }

    /** Two axes at once, a negative start and end, an end past the axis and a start clamped from below. */
    @Test
    void slicePadsWithZeros() {
        GradCheck check = GradCheck.inDouble(b -> {
            Ops o = b.ops();
            Value x = b.input("x", "b", "s", 8);
            Value inner = o.op("Slice").in(x, o.ints(1, -5), o.ints(Long.MAX_VALUE, -1), o.ints(1, 2)).out();
            Value clamped = o.op("Slice").in(x, o.ints(-100), o.ints(2), o.ints(-1), o.ints(1)).out();
            return o.op("Concat").in(square(o, inner), o.op("Slice").in(clamped, o.ints(1), o.ints(100), o.ints(1))
                    .out()).attr("axis", -1L).out();
        });
        check.verify("x", feeds("x", dims(2, 3, 8)));
        check.verify("x", feeds("x", dims(1, 5, 8)));
    }

    /** Rotary's rotate_half: [-x2, x1] from two slices of the head dimension, then x * cos + rotated * sin. */
    @Test
    void rotateHalfAsTheDecoderBuildsIt() {
        GradCheck check = GradCheck.inDouble(b -> {
            Ops o = b.ops();
            Value x = b.input("x", "b", 2, "s", 4);
            Value cos = b.input("cos", "b", 1, "s", 4);
            Value sin = b.input("sin", "b", 1, "s", 4);
            Value x1 = o.op("Slice").in(x, o.ints(0), o.ints(2), o.ints(-1)).out();
            Value x2 = o.op("Slice").in(x, o.ints(2), o.ints(4), o.ints(-1)).out();
            Value rotated = o.op("Concat").in(o.op("Neg").in(x2).out(), x1).attr("axis", -1L).out();
            return o.op("Add").in(o.op("Mul").in(x, cos).out(), o.op("Mul").in(rotated, sin).out()).out();
        });
        check.verify("x", feeds("x", dims(1, 2, 3, 4), "cos", dims(1, 1, 3, 4), "sin", dims(1, 1, 3, 4)));
        check.verify("x", feeds("x", dims(2, 2, 1, 4), "cos", dims(2, 1, 1, 4), "sin", dims(2, 1, 1, 4)));
    }

    /** Grouped-query attention's repeat_kv (Unsqueeze, Expand, Reshape), and an Expand that broadcasts both ways. */
    @Test
    void expandSumsOverTheCopies() {
        GradCheck repeatKv = GradCheck.inDouble(b -> {
            Ops o = b.ops();
            Value kv = b.input("kv", "b", 2, "t", 3);
            Value grouped = o.op("Unsqueeze").in(kv, o.ints(2)).out();
            Value expanded = o.op("Expand").in(grouped, o.ints(1, 1, 2, 1, 1)).out();
            return square(o, o.op("Reshape").in(expanded, o.ints(0, 4, -1, 3)).out());
        });
        repeatKv.verify("kv", feeds("kv", dims(1, 2, 3, 3)));
        repeatKv.verify("kv", feeds("kv", dims(2, 2, 2, 3)));
        GradCheck bothWays = GradCheck.inDouble(b -> square(b.ops(),
                b.ops().op("Expand").in(b.input("x", 1, "s"), b.ops().ints(3, 1)).out()));
        bothWays.verify("x", feeds("x", dims(1, 4)));
        bothWays.verify("x", feeds("x", dims(1, 2)));
    }

    /**
     * Casts to double inside a float32 graph and back: the gradient returns in float32. Checked in float, as the
     * function's input and output are float32.
     */
    @Test
    void castReturnsTheGradientInTheInputType() {
        GradCheck check = GradCheck.inFloat(b -> {
            Ops o = b.ops();
            Value wide = o.op("Cast").in(b.input("x", "b", 3)).attr("to", (long) DataType.DOUBLE_VALUE).out();
            return o.op("Cast").in(square(o, wide)).attr("to", (long) DataType.FLOAT_VALUE).out();
        });
        check.verify("x", feeds("x", dims(2, 3)));
        check.verify("x", feeds("x", dims(1, 3)));
    }
}
