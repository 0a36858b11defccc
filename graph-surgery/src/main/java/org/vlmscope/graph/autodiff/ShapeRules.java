package org.vlmscope.graph.autodiff;

import static org.vlmscope.graph.autodiff.ElementwiseRules.unary;
import static org.vlmscope.graph.autodiff.GradientRule.onAllInputs;
import static org.vlmscope.graph.autodiff.GradientRule.onInputs;

import ai.onnx.proto.OnnxMl.TensorProto.DataType;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.vlmscope.graph.Ops;
import org.vlmscope.graph.Value;

/**
 * Operators that move or retype elements without arithmetic: the gradient moves back the same way. Shape, axes
 * and start/end inputs are integers and carry no gradient.
 */
final class ShapeRules {
    private ShapeRules() {
    }

    static void addTo(Map<String, GradientRule> rules) {
        unary(rules, "Identity", (s, dy) -> dy);
        // Back to the input's element type, so an fp16 forward accumulates its gradient in fp16 again.
        unary(rules, "Cast", (s, dy) -> s.ops.castLike(dy, s.in(0)));
        for (String op : List.of("Reshape", "Squeeze", "Unsqueeze")) {
            rules.put(op, onInputs(s -> s.grad(0, s.ops.reshapeLike(s.dy(), s.in(0))), 0));
        }
        rules.put("Transpose", onInputs(ShapeRules::transpose, 0));
        rules.put("Expand", onInputs(s -> s.grad(0, s.ops.sumTo(s.dy(), s.ops.shapes().of(s.out()), s.in(0))), 0));
        rules.put("Concat", onAllInputs(ShapeRules::concat));
        rules.put("Slice", onInputs(ShapeRules::slice, 0));
    }

    /** The inverse permutation; without a perm attribute the forward reversed the axes, and so does the backward. */
    private static void transpose(Step s) {
        List<Long> perm = s.node().intsAttribute("perm");
        var back = s.ops.ops().op("Transpose").in(s.dy());
        if (!perm.isEmpty()) {
            long[] inverse = new long[perm.size()];
            for (int i = 0; i < inverse.length; i++) {
                inverse[perm.get(i).intValue()] = i;
            }
            back.attr("perm", inverse);
        }
        s.grad(0, back.out());
    }

    /** dy split along the concatenation axis into pieces as wide as each input. */
    private static void concat(Step s) {
        long axis = s.node().intAttribute("axis", 0);
        Value[] widths = new Value[s.inputCount()];
        for (int i = 0; i < widths.length; i++) {
            widths[i] = s.ops.dim(s.in(i), axis);
        }
        List<Value> pieces = s.ops.ops().op("Split").in(s.dy(), s.ops.concat(0, widths)).attr("axis", axis)
                .outs(widths.length);
        for (int i = 0; i < widths.length; i++) {
            if (s.wants(i)) {
                s.grad(i, pieces.get(i));
            }
        }
    }

    /**
     * dy padded with zeros back to the input's extent along each sliced axis. The zeros before the slice are as
     * many as the positions Slice itself keeps below the start (so negative and out-of-range starts clamp exactly
     * as in the forward); those after fill up to the axis length. Needs constant axes and unit steps.
     */
    private static void slice(Step s) {
        Ops ops = s.ops.ops();
        Value starts = s.in(1);
        long[] axes = s.in(3) != null ? Constants.longs(s.in(3)) : countUp(Constants.longs(starts));
        if (axes == null) {
            throw s.unsupported("the gradient of Slice needs constant axes (or constant starts when axes are omitted)");
        }
        if (s.in(4) != null) {
            long[] steps = Constants.longs(s.in(4));
            if (steps == null || Arrays.stream(steps).anyMatch(step -> step != 1)) {
                throw s.unsupported("the gradient of Slice supports constant unit steps only");
            }
        }
        Value x = s.in(0);
        Value g = s.dy();
        for (int k = 0; k < axes.length; k++) {
            long axis = axes[k];
            Value length = s.ops.dim(x, axis);
            Value positions = ops.op("Range").in(ops.scalarInt(0),
                    ops.op("Squeeze").in(length, ops.ints(0)).out(), ops.scalarInt(1)).out();
            // As int64 whatever the starts' index type, to slice the int64 positions with it.
            Value start = ops.op("Cast").in(ops.op("Slice").in(starts, ops.ints(k), ops.ints(k + 1)).out())
                    .attr("to", (long) DataType.INT64_VALUE).out();
            Value before = s.ops.shape(ops.op("Slice").in(positions, ops.ints(0), start).out());
            Value after = s.ops.sub(s.ops.sub(length, before), s.ops.dim(g, axis));
            g = s.ops.concat(axis, s.ops.zeros(withDim(s, g, axis, before), g), g,
                    s.ops.zeros(withDim(s, g, axis, after), g));
        }
        s.grad(0, g);
    }

    /** The shape of g with dimension {@code axis} replaced by the one-element tensor {@code size}. */
    private static Value withDim(Step s, Value g, long axis, Value size) {
        return s.ops.ops().op("ScatterElements").in(s.ops.shape(g), s.ops.ops().ints(axis), size).attr("axis", 0L)
                .out();
    }

    /** 0, 1, ..., n-1 for the n entries of {@code starts}, or null when starts are not constant. */
    private static long[] countUp(long[] starts) {
        if (starts == null) {
            return null;
        }
        long[] axes = new long[starts.length];
        for (int i = 0; i < axes.length; i++) {
            axes[i] = i;
        }
        return axes;
    }
}
