package org.vlmscope.graph.autodiff;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import org.vlmscope.graph.Node;
import org.vlmscope.graph.TensorType.Dim;
import org.vlmscope.graph.Value;

/**
 * Shapes of forward tensors as far as they follow from declared types, initializers and constant shape
 * arguments: fixed sizes, named symbolic sizes ("batch", "sequence"), or unknown. Rules use them to see at build
 * time that a broadcast operand already has the output's shape, or which axes it was broadcast along, instead of
 * computing that from run-time shapes. The inference only ever claims what holds for every run: two dimensions
 * are the same when both are the same fixed size or carry the same name; anything else is unknown, and the rules
 * then fall back to run-time shape arithmetic.
 */
final class StaticShapes {
    private static final Dim ONE = Dim.of(1);
    private final Map<Value, List<Dim>> shapes = new IdentityHashMap<>();

    /** Infers the shapes of every value produced in {@code order} (a topological order of the forward nodes). */
    static StaticShapes infer(List<Node> order) {
        StaticShapes s = new StaticShapes();
        for (Node node : order) {
            List<Dim> out = s.declared(node.output(0));
            s.shapes.put(node.output(0), out != null ? out : s.infer(node));
        }
        return s;
    }

    /** The shape of {@code v}, or null when even its rank is unknown. */
    List<Dim> of(Value v) {
        return shapes.containsKey(v) ? shapes.get(v) : declared(v);
    }

    /** The rank of {@code v}, or -1. */
    int rank(Value v) {
        List<Dim> shape = of(v);
        return shape == null ? -1 : shape.size();
    }

    /** True when the two dimensions are equal in every run. */
    static boolean same(Dim a, Dim b) {
        return (a.isFixed() || a.param() != null) && a.equals(b);
    }

    static boolean isOne(Dim d) {
        return d.isFixed() && d.size() == 1;
    }

    private List<Dim> declared(Value v) {
        if (v.isInitializer()) {
            List<Dim> dims = new ArrayList<>();
            v.initializer().getDimsList().forEach(d -> dims.add(Dim.of(d)));
            return dims;
        }
        return v.type() == null ? null : v.type().shape();
    }

    private List<Dim> infer(Node node) {
        List<Dim> x = node.inputs().isEmpty() || node.input(0) == null ? null : of(node.input(0));
        return switch (node.opType()) {
            case "Identity", "Cast", "Neg", "Exp", "Log", "Sqrt", "Reciprocal", "Sigmoid", "Tanh", "Erf", "Relu",
                 "Sign", "Sin", "Cos", "Softmax", "LayerNormalization", "Not" -> x;
            case "Add", "Sub", "Mul", "Div", "Pow", "Where", "Equal", "Less", "LessOrEqual", "Greater",
                 "GreaterOrEqual", "And", "Or" -> broadcast(node.inputs());
            case "MatMul" -> matMul(x, of(node.input(1)));
            case "Transpose" -> transpose(node, x);
            case "Reshape" -> reshape(node, x);
            case "Unsqueeze" -> unsqueeze(x, axes(node));
            case "Squeeze" -> squeeze(x, axes(node));
            case "Expand" -> broadcast(x, constantShape(node.input(1)));
            case "Concat" -> concat(node);
            case "Slice" -> slice(node, x);
            case "ReduceSum", "ReduceMean", "ReduceMax" -> reduce(node, x);
            default -> null;
        };
    }

    private List<Dim> broadcast(List<Value> operands) {
        List<Dim> result = List.of();
        for (Value v : operands) {
            result = broadcast(result, of(v));
        }
        return result;
    }

    /** Numpy broadcasting of two shapes, right-aligned. */
    static List<Dim> broadcast(List<Dim> a, List<Dim> b) {
        if (a == null || b == null) {
            return null;
        }
        int rank = Math.max(a.size(), b.size());
        Dim[] out = new Dim[rank];
        for (int i = 0; i < rank; i++) {
            Dim da = i < rank - a.size() ? ONE : a.get(i - (rank - a.size()));
            Dim db = i < rank - b.size() ? ONE : b.get(i - (rank - b.size()));
            if (da.isFixed() && !isOne(da)) {
                out[i] = da;
            } else if (db.isFixed() && !isOne(db)) {
                out[i] = db;
            } else if (isOne(da)) {
                out[i] = db;
            } else if (isOne(db) || same(da, db)) {
                out[i] = da;
            } else {
                out[i] = Dim.unknown();
            }
        }
        return List.of(out);
    }

    private static List<Dim> matMul(List<Dim> a, List<Dim> b) {
        if (a == null || b == null || a.size() < 2 || b.size() < 2) {
            return null;
        }
        List<Dim> batch = broadcast(a.subList(0, a.size() - 2), b.subList(0, b.size() - 2));
        List<Dim> out = new ArrayList<>(batch);
        out.add(a.get(a.size() - 2));
        out.add(b.get(b.size() - 1));
        return out;
    }

    private static List<Dim> transpose(Node node, List<Dim> x) {
        if (x == null) {
            return null;
        }
        List<Long> perm = node.intsAttribute("perm");
        List<Dim> out = new ArrayList<>();
        for (int i = 0; i < x.size(); i++) {
            out.add(x.get(perm.isEmpty() ? x.size() - 1 - i : perm.get(i).intValue()));
        }
        return out;
    }

    /**
     * A constant target shape: 0 copies the input's dimension, and -1 is what remains of the input's element count,
     * found by cancelling fixed factors and named dimensions; it is unknown when that does not come out exact.
     */
    private static List<Dim> reshape(Node node, List<Dim> x) {
        long[] target = Constants.longs(node.input(1));
        if (target == null) {
            return null;
        }
        boolean allowZero = node.intAttribute("allowzero", 0) == 1;
        List<Dim> out = new ArrayList<>();
        int inferred = -1;
        for (int i = 0; i < target.length; i++) {
            if (target[i] == 0 && !allowZero) {
                out.add(x != null && i < x.size() ? x.get(i) : Dim.unknown());
            } else if (target[i] == -1) {
                inferred = i;
                out.add(Dim.unknown());
            } else {
                out.add(Dim.of(target[i]));
            }
        }
        if (inferred >= 0 && x != null) {
            List<Dim> others = new ArrayList<>(out);
            others.remove(inferred);
            out.set(inferred, quotient(x, others));
        }
        return out;
    }

    /** product(numerator) / product(denominator) as a single dimension, or unknown. */
    private static Dim quotient(List<Dim> numerator, List<Dim> denominator) {
        long fixed = 1;
        Map<String, Integer> names = new HashMap<>();
        for (Dim d : numerator) {
            if (d.isFixed()) {
                fixed *= d.size();
            } else if (d.param() != null) {
                names.merge(d.param(), 1, Integer::sum);
            } else {
                return Dim.unknown();
            }
        }
        long divisor = 1;
        for (Dim d : denominator) {
            if (d.isFixed()) {
                divisor *= d.size();
            } else if (d.param() != null && names.getOrDefault(d.param(), 0) > 0) {
                names.merge(d.param(), -1, Integer::sum);
            } else {
                return Dim.unknown();
            }
        }
        names.values().removeIf(n -> n == 0);
        if (divisor == 0 || fixed % divisor != 0) {
            return Dim.unknown();
        }
        long ratio = fixed / divisor;
        if (names.isEmpty()) {
            return Dim.of(ratio);
        }
        boolean oneName = names.size() == 1 && names.values().iterator().next() == 1;
        return oneName && ratio == 1 ? Dim.sym(names.keySet().iterator().next()) : Dim.unknown();
    }

    /**
     * Inputs of equal rank; along the axis the sizes add up when all are fixed, elsewhere they are equal, so any
     * input that knows a dimension tells it.
     */
    private List<Dim> concat(Node node) {
        List<List<Dim>> parts = new ArrayList<>();
        for (Value v : node.inputs()) {
            List<Dim> shape = of(v);
            if (shape == null || (!parts.isEmpty() && shape.size() != parts.get(0).size())) {
                return null;
            }
            parts.add(shape);
        }
        int rank = parts.get(0).size();
        long axis = node.intAttribute("axis", 0);
        int along = (int) (axis < 0 ? axis + rank : axis);
        List<Dim> out = new ArrayList<>();
        for (int i = 0; i < rank; i++) {
            final int k = i;
            if (i == along) {
                boolean fixed = parts.stream().allMatch(p -> p.get(k).isFixed());
                out.add(fixed ? Dim.of(parts.stream().mapToLong(p -> p.get(k).size()).sum()) : Dim.unknown());
            } else {
                out.add(parts.stream().map(p -> p.get(k)).filter(d -> d.isFixed() || d.param() != null).findFirst()
                        .orElse(Dim.unknown()));
            }
        }
        return out;
    }

    /**
     * Constant starts, ends and axes with unit steps: a fixed dimension gets the sliced length (Slice's clamping),
     * a symbolic one keeps its name only when the slice takes all of it.
     */
    private static List<Dim> slice(Node node, List<Dim> x) {
        long[] starts = Constants.longs(node.input(1));
        long[] ends = Constants.longs(node.input(2));
        long[] axes = node.input(3) == null ? null : Constants.longs(node.input(3));
        long[] steps = node.input(4) == null ? null : Constants.longs(node.input(4));
        boolean unitSteps = node.input(4) == null || steps != null && Arrays.stream(steps).allMatch(step -> step == 1);
        if (x == null || starts == null || ends == null || (node.input(3) != null && axes == null) || !unitSteps) {
            return null;
        }
        List<Dim> out = new ArrayList<>(x);
        for (int k = 0; k < starts.length; k++) {
            long a = axes == null ? k : axes[k];
            int axis = (int) (a < 0 ? a + x.size() : a);
            Dim d = x.get(axis);
            if (d.isFixed()) {
                long start = clamp(starts[k] < 0 ? starts[k] + d.size() : starts[k], d.size());
                long end = clamp(ends[k] < 0 ? ends[k] + d.size() : ends[k], d.size());
                out.set(axis, Dim.of(Math.max(0, end - start)));
            } else if (!(starts[k] == 0 && ends[k] == Long.MAX_VALUE)) {
                out.set(axis, Dim.unknown());
            }
        }
        return out;
    }

    private static long clamp(long v, long size) {
        return Math.max(0, Math.min(size, v));
    }

    /** Constant axes of Unsqueeze/Squeeze/reductions (input 1 from opset 13 or 18, attribute before), or null. */
    private static long[] axes(Node node) {
        if (node.input(1) != null) {
            return Constants.longs(node.input(1));
        }
        List<Long> attr = node.intsAttribute("axes");
        return attr.stream().mapToLong(Long::longValue).toArray();
    }

    private static List<Dim> unsqueeze(List<Dim> x, long[] axes) {
        if (x == null || axes == null) {
            return null;
        }
        int rank = x.size() + axes.length;
        Dim[] out = new Dim[rank];
        for (long a : axes) {
            out[(int) (a < 0 ? a + rank : a)] = ONE;
        }
        int next = 0;
        for (int i = 0; i < rank; i++) {
            if (out[i] == null) {
                out[i] = x.get(next++);
            }
        }
        return List.of(out);
    }

    private static List<Dim> squeeze(List<Dim> x, long[] axes) {
        if (x == null || axes == null || axes.length == 0) {
            return null;
        }
        List<Dim> out = new ArrayList<>(x);
        long[] sorted = Arrays.stream(axes).map(a -> a < 0 ? a + x.size() : a).sorted().toArray();
        for (int i = sorted.length - 1; i >= 0; i--) {
            out.remove((int) sorted[i]);
        }
        return out;
    }

    private List<Dim> reduce(Node node, List<Dim> x) {
        long[] axes = axes(node);
        if (x == null || axes == null) {
            return null;
        }
        boolean keep = node.intAttribute("keepdims", 1) == 1;
        if (axes.length == 0) {
            if (node.intAttribute("noop_with_empty_axes", 0) == 1) {
                return x;
            }
            return keep ? x.stream().map(d -> ONE).toList() : List.of();
        }
        List<Dim> out = new ArrayList<>(x);
        long[] sorted = Arrays.stream(axes).map(a -> a < 0 ? a + x.size() : a).sorted().toArray();
        for (int i = sorted.length - 1; i >= 0; i--) {
            if (keep) {
                out.set((int) sorted[i], ONE);
            } else {
                out.remove((int) sorted[i]);
            }
        }
        return out;
    }

    /** A constant 1-D shape tensor as fixed dimensions, or null. */
    private static List<Dim> constantShape(Value v) {
        long[] dims = Constants.longs(v);
        if (dims == null) {
            return null;
        }
        List<Dim> out = new ArrayList<>();
        for (long d : dims) {
            out.add(Dim.of(d));
        }
        return out;
    }
}
