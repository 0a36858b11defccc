package org.vlmscope.graph.autodiff;

import ai.onnx.proto.OnnxMl.TensorProto.DataType;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import org.vlmscope.graph.Ops;
import org.vlmscope.graph.TensorType.Dim;
import org.vlmscope.graph.Value;

/**
 * The tensor algebra gradient rules are written in. Shapes in vlmscope graphs are dynamic and most intermediate
 * values carry no declared type, so the helpers work from run-time shapes (Shape, Reshape, Expand) wherever the
 * {@link StaticShapes} of the forward graph do not settle a question at build time, and take element types from a
 * tensor they are given (CastLike): a rule never needs to know a rank or a dtype.
 */
final class GradOps {
    private final Ops ops;
    private final StaticShapes shapes;
    /** One Shape node per tensor, however many rules ask for it. */
    private final Map<Value, Value> shapeOf = new IdentityHashMap<>();

    GradOps(Ops ops, StaticShapes shapes) {
        this.ops = ops;
        this.shapes = shapes;
    }

    StaticShapes shapes() {
        return shapes;
    }

    Ops ops() {
        return ops;
    }

    Value add(Value a, Value b) {
        return ops.op("Add").in(a, b).out();
    }

    Value sub(Value a, Value b) {
        return ops.op("Sub").in(a, b).out();
    }

    Value mul(Value a, Value b) {
        return ops.op("Mul").in(a, b).out();
    }

    Value div(Value a, Value b) {
        return ops.op("Div").in(a, b).out();
    }

    Value neg(Value a) {
        return ops.op("Neg").in(a).out();
    }

    Value matMul(Value a, Value b) {
        return ops.op("MatMul").in(a, b).out();
    }

    /** {@code x} cast to the element type of {@code like}. */
    Value castLike(Value x, Value like) {
        return ops.op("CastLike").in(x, like).out();
    }

    /**
     * A scalar in the element type of {@code like}: a constant of that type when {@code like} declares it, else a
     * double constant cast at run time. (CastLike of two constants would make ONNX Runtime try, and fail with a
     * warning, to fold it: CastLike has no kernel of its own.)
     */
    Value scalarLike(double value, Value like) {
        DataType declared = like.type() == null ? null : like.type().elemType();
        if (declared == DataType.FLOAT || declared == DataType.DOUBLE || declared == DataType.FLOAT16) {
            return ops.scalar(value, declared);
        }
        return castLike(ops.scalar(value, DataType.DOUBLE), like);
    }

    Value shape(Value x) {
        return shapeOf.computeIfAbsent(x, v -> ops.op("Shape").in(v).out());
    }

    /** Dimensions {@code start} (inclusive) to {@code end} (exclusive) of x's shape; negative counts from the back. */
    Value shape(Value x, long start, long end) {
        return ops.op("Shape").in(x).attr("start", start).attr("end", end).out();
    }

    /** Dimensions from {@code start} to the last of x's shape. */
    Value shapeFrom(Value x, long start) {
        return ops.op("Shape").in(x).attr("start", start).out();
    }

    /** Dimension {@code axis} of x as a one-element 1-D tensor (negative axes count from the back). */
    Value dim(Value x, long axis) {
        return ops.op("Gather").in(shape(x), ops.ints(axis)).attr("axis", 0L).out();
    }

    /** Number of elements of x, an int64 scalar. */
    Value size(Value x) {
        return ops.op("Size").in(x).out();
    }

    /**
     * {@code g} reshaped to {@code shape}. allowzero keeps a 0 in the shape meaning an empty dimension rather than
     * "copy this dimension", since the shapes given here are always exact.
     */
    Value reshape(Value g, Value shape) {
        return ops.op("Reshape").in(g, shape).attr("allowzero", 1L).out();
    }

    /** {@code g} reshaped to the shape of {@code x}. */
    Value reshapeLike(Value g, Value x) {
        return reshape(g, shape(x));
    }

    /** Zeros of the given shape in the element type of {@code like}. */
    Value zeros(Value shape, Value like) {
        return ops.op("Expand").in(scalarLike(0.0, like), shape).out();
    }

    Value concat(long axis, Value... parts) {
        return ops.op("Concat").in(parts).attr("axis", axis).out();
    }

    /** Mean over one axis, kept as a size-1 dimension; ReduceMean took its axes as an attribute before opset 18. */
    Value meanKeep(Value x, long axis) {
        var mean = ops.op("ReduceMean").in(x).attr("keepdims", 1L);
        return ops.opset() >= 18 ? mean.in(ops.ints(axis)).out() : mean.attr("axes", new long[] {axis}).out();
    }

    /** Sum over one axis, kept as a size-1 dimension. */
    Value sumKeep(Value x, long axis) {
        return ops.op("ReduceSum").in(x, ops.ints(axis)).attr("keepdims", 1L).out();
    }

    /**
     * The gradient {@code g} of a broadcast result (whose static shape is {@code gShape}, null if unknown) summed back
     * to the shape of the operand {@code x}: the reverse of numpy broadcasting. When the static shapes tell which axes
     * x was broadcast along, that is one ReduceSum (or nothing at all); otherwise it is worked out at run time.
     */
    Value sumTo(Value g, List<Dim> gShape, Value x) {
        List<Dim> xShape = shapes.of(x);
        long[] axes = gShape == null || xShape == null ? null : broadcastAxes(gShape, xShape);
        if (axes == null) {
            return sumToAtRunTime(g, x);
        }
        if (axes.length == 0) {
            return g;
        }
        Value summed = ops.op("ReduceSum").in(g, ops.ints(axes)).attr("keepdims", 1L).out();
        return gShape.size() == xShape.size() ? summed : reshape(summed, shape(x));
    }

    /**
     * The axes of a result of shape {@code g} along which an operand of shape {@code x} was broadcast (the leading
     * axes x lacks, and those where x has size 1 and the result may not), or null when the shapes do not tell.
     */
    private static long[] broadcastAxes(List<Dim> g, List<Dim> x) {
        int extra = g.size() - x.size();
        if (extra < 0) {
            return null;
        }
        List<Long> axes = new ArrayList<>();
        for (int i = 0; i < g.size(); i++) {
            if (i < extra) {
                axes.add((long) i);
            } else if (!StaticShapes.same(x.get(i - extra), g.get(i))) {
                if (!StaticShapes.isOne(x.get(i - extra))) {
                    return null;
                }
                axes.add((long) i);
            }
        }
        return axes.stream().mapToLong(Long::longValue).toArray();
    }

    /**
     * {@link #sumTo} from run-time shapes: x's shape is left-padded with ones to g's rank, and g is reshaped so
     * that each axis k splits into (x_k, g_k / x_k): a broadcast axis (x_k = 1) becomes (1, g_k), a kept one
     * (x_k = g_k) becomes (g_k, 1). Summing every second axis then reduces exactly the broadcast axes, with no need
     * to know at build time which they are, or the ranks.
     */
    private Value sumToAtRunTime(Value g, Value x) {
        Value gShape = shape(g);
        Value xShape = shape(x);
        Value rankGap = ops.op("Unsqueeze").in(sub(size(gShape), size(xShape)), ops.ints(0)).out();
        Value ones = ops.op("Expand").in(ops.ints(1), rankGap).out();
        Value padded = concat(0, ones, xShape);
        // Max(., 1): an empty operand (x_k = g_k = 0) must not divide by zero; its split (0, 0) is still exact.
        Value rest = div(gShape, ops.op("Max").in(padded, ops.ints(1)).out());
        Value pairs = concat(1, unsqueezeLast(padded), unsqueezeLast(rest));
        Value split = ops.op("Reshape").in(pairs, ops.ints(-1)).out();
        Value oddAxes = ops.op("Range").in(ops.scalarInt(1), size(split), ops.scalarInt(2)).out();
        Value summed = ops.op("ReduceSum").in(reshape(g, split), oddAxes).attr("keepdims", 0L).out();
        return reshape(summed, xShape);
    }

    private Value unsqueezeLast(Value v) {
        return ops.op("Unsqueeze").in(v, ops.ints(-1)).out();
    }

    /**
     * x, of rank {@code rank} (-1 if unknown, at least 2), with its last two axes swapped. Without a known rank the
     * leading axes are folded into one so that a fixed permutation does it.
     */
    Value swapLastTwo(Value x, int rank) {
        if (rank >= 2) {
            long[] perm = new long[rank];
            for (int i = 0; i < rank; i++) {
                perm[i] = i;
            }
            perm[rank - 2] = rank - 1;
            perm[rank - 1] = rank - 2;
            return ops.op("Transpose").in(x).attr("perm", perm).out();
        }
        // -1 stands for the product of the leading axes, unknown when building (no allowzero: -1 excludes it).
        Value folded = ops.op("Reshape").in(x, concat(0, ops.ints(-1), shapeFrom(x, -2))).out();
        Value swapped = ops.op("Transpose").in(folded).attr("perm", new long[] {0, 2, 1}).out();
        return reshape(swapped, concat(0, shape(x, 0, -2), shapeFrom(x, -1), shape(x, -2, -1)));
    }
}
