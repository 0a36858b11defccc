package org.vlmscope.runtime.gradient;

import static org.vlmscope.runtime.gradient.GradCheck.dims;
import static org.vlmscope.runtime.gradient.GradCheck.feeds;

import ai.onnx.proto.OnnxMl.TensorProto.DataType;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;
import org.vlmscope.graph.Value;

/**
 * Elementwise rules against central differences, in double precision (ONNX Runtime's CPU provider has double
 * kernels for all of these), at two sizes of the symbolic dimensions, with broadcasting in every binary op.
 */
class ElementwiseGradientTest {

    /** x [b, s, 4] op y [4]; x [b, s, 4] op z [b, 1, 1]; a rank-0 constant on the right. */
    @ParameterizedTest
    @ValueSource(strings = {"Add", "Sub", "Mul", "Div"})
    void binaryOpsBroadcast(String op) {
        GradCheck check = GradCheck.inDouble(b -> {
            Value x = b.input("x", "b", "s", 4);
            Value y = b.positiveInput("y", 4);
            Value z = b.positiveInput("z", "b", 1, 1);
            var o = b.ops();
            Value xy = o.op(op).in(x, y).out();
            Value yx = o.op(op).in(y, o.op("Add").in(x, o.scalar(3, DataType.DOUBLE)).out()).out();
            Value xz = o.op(op).in(xy, z).out();
            return o.op("Add").in(xz, o.op(op).in(yx, o.scalar(1.5, DataType.DOUBLE)).out()).out();
        });
        for (long[] size : new long[][] {{2, 3}, {1, 5}}) {
            check.verifyEach(feeds("x", dims(size[0], size[1], 4), "y", dims(4), "z", dims(size[0], 1, 1)),
                    "x", "y", "z");
        }
    }

    /** The same broadcasts with no declared shapes: the sums over broadcast axes are found at run time. */
    @ParameterizedTest
    @ValueSource(strings = {"Add", "Sub", "Mul", "Div"})
    void binaryOpsBroadcastWithoutDeclaredShapes(String op) {
        GradCheck check = GradCheck.inDouble(b -> {
            var o = b.ops();
            Value x = b.unshapedInput("x");
            Value y = o.op("Add").in(b.unshapedInput("y"), o.scalar(2, DataType.DOUBLE)).out();
            return o.op(op).in(o.op(op).in(x, y).out(), b.unshapedInput("z")).out();
        });
        check.verifyEach(feeds("x", dims(2, 3, 4), "y", dims(4), "z", dims(2, 1, 1)), "x", "y", "z");
        check.verifyEach(feeds("x", dims(3, 1), "y", dims(2, 1, 4), "z", dims(1)), "x", "y", "z");
    }

    /** Both operands the same tensor: the two contributions add up. */
    @Test
    void squareThroughMulOfOneTensor() {
        GradCheck check = GradCheck.inDouble(b -> {
            Value x = b.input("x", "b", 3);
            return b.ops().op("Mul").in(x, x).out();
        });
        check.verify("x", feeds("x", dims(2, 3)));
        check.verify("x", feeds("x", dims(4, 3)));
    }

    @ParameterizedTest
    @ValueSource(strings = {"Neg", "Exp", "Sigmoid", "Tanh", "Relu", "Identity"})
    void unaryOpsOnWholeLine(String op) {
        GradCheck check = GradCheck.inDouble(b -> b.ops().op(op).in(b.input("x", "b", "s")).out());
        check.verify("x", feeds("x", dims(2, 5)));
        check.verify("x", feeds("x", dims(3, 2)));
    }

    /** ONNX Runtime's CPU provider has Erf in float32 only. */
    @Test
    void erfInFloat() {
        GradCheck check = GradCheck.inFloat(b -> b.ops().op("Erf").in(b.input("x", "b", "s")).out());
        check.verify("x", feeds("x", dims(2, 5)));
        check.verify("x", feeds("x", dims(3, 2)));
    }

    /** Ops defined (or smooth) for positive inputs only. */
    @ParameterizedTest
    @ValueSource(strings = {"Log", "Sqrt", "Reciprocal"})
    void unaryOpsOnPositives(String op) {
        GradCheck check = GradCheck.inDouble(b -> b.ops().op(op).in(b.positiveInput("x", "b", "s")).out());
        check.verify("x", feeds("x", dims(2, 5)));
        check.verify("x", feeds("x", dims(1, 3)));
    }

    /** Pow with constant exponents: a scalar, and a per-column vector (so the exponent broadcasts). */
    @Test
    void powWithConstantExponent() {
        GradCheck scalar = GradCheck.inDouble(b -> b.ops().op("Pow")
                .in(b.positiveInput("x", "b", 3), b.ops().scalar(2.5, DataType.DOUBLE)).out());
        scalar.verify("x", feeds("x", dims(2, 3)));
        GradCheck vector = GradCheck.inDouble(b -> b.ops().op("Pow")
                .in(b.positiveInput("x", "b", 3), b.ops().floats(DataType.DOUBLE, dims(3), 2, -1, 0.5)).out());
        vector.verify("x", feeds("x", dims(2, 3)));
        vector.verify("x", feeds("x", dims(4, 3)));
    }

    /** Where with a condition that broadcasts over rows, and a branch that broadcasts over columns. */
    @Test
    void whereRoutesGradientToTheChosenBranch() {
        GradCheck check = GradCheck.inDouble(b -> {
            Value cond = b.input("c", DataType.BOOL, 1, "s");
            Value a = b.input("a", "b", "s");
            Value other = b.input("o", "b", 1);
            return b.ops().op("Where").in(cond, a, other).out();
        });
        check.verifyEach(feeds("c", GradCheck.Feed.bools(dims(1, 4), true, false, true, false), "a", dims(2, 4),
                "o", dims(2, 1)), "a", "o");
        check.verifyEach(feeds("c", GradCheck.Feed.bools(dims(1, 3), false, false, true), "a", dims(3, 3),
                "o", dims(3, 1)), "a", "o");
    }
}
