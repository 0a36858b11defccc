package org.vlmscope.runtime.gradient;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.onnx.proto.OnnxMl.TensorProto.DataType;
import ai.onnxruntime.OnnxJavaType;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.DoubleBuffer;
import java.nio.FloatBuffer;
import java.nio.LongBuffer;
import java.nio.ShortBuffer;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import org.vlmscope.core.HalfFloats;
import org.vlmscope.graph.OnnxModel;
import org.vlmscope.graph.Ops;
import org.vlmscope.graph.TensorType;
import org.vlmscope.graph.Value;
import org.vlmscope.graph.passes.Gradient;

/**
 * Checks a gradient rule against central finite differences. A test describes a tiny graph (its inputs with
 * symbolic dimensions, and the tensor that becomes {@code logits}); {@link #verify} builds it twice, once as it
 * is and once with the {@link Gradient} pass applied, runs the gradient graph once, and compares every element
 * of {@code grad.{wrt}} with (f(x + h e_i) - f(x - h e_i)) / 2h, where f = sum(seed * logits) is evaluated by the
 * plain graph.
 */
final class GradCheck {
    static final long OPSET = 17;
    private static final OrtEnvironment ENV = OrtEnvironment.getEnvironment();

    /** Builds the forward graph: declares inputs on the builder and returns the tensor to become logits. */
    interface Forward {
        Value build(Builder b);
    }

    /** How a test declares the graph's inputs; float inputs use the check's element type. */
    static final class Builder {
        private final Ops ops;
        private final DataType type;
        private final Map<String, double[]> ranges;

        private Builder(Ops ops, DataType type, Map<String, double[]> ranges) {
            this.ops = ops;
            this.type = type;
            this.ranges = ranges;
        }

        Ops ops() {
            return ops;
        }

        /** A floating input with values drawn from [-1, 1]; dims are sizes or names of symbolic dimensions. */
        Value input(String name, Object... dims) {
            return ranged(name, -1, 1, dims);
        }

        /** A floating input with values drawn from [0.5, 2], for ops defined or smooth on positives only. */
        Value positiveInput(String name, Object... dims) {
            return ranged(name, 0.5, 2, dims);
        }

        /**
         * A floating input with values drawn from [-1, 1] and no declared shape, so that rules cannot know it when
         * building and must work from run-time shapes.
         */
        Value unshapedInput(String name) {
            ranges.put(name, new double[] {-1, 1});
            return ops.graph().addInput(name, new TensorType(type, null));
        }

        private Value ranged(String name, double lo, double hi, Object... dims) {
            ranges.put(name, new double[] {lo, hi});
            return ops.graph().addInput(name, TensorType.of(type, dims));
        }

        /** An input of another element type (int64 indices, boolean conditions), fed explicitly. */
        Value input(String name, DataType elemType, Object... dims) {
            return ops.graph().addInput(name, TensorType.of(elemType, dims));
        }
    }

    /** A fed tensor: element type, shape, and values (as doubles; integers and booleans exact). */
    record Feed(DataType type, long[] shape, double[] values) {
        static Feed ints(long[] shape, long... values) {
            double[] v = new double[values.length];
            for (int i = 0; i < v.length; i++) {
                v[i] = values[i];
            }
            return new Feed(DataType.INT64, shape, v);
        }

        static Feed bools(long[] shape, boolean... values) {
            double[] v = new double[values.length];
            for (int i = 0; i < v.length; i++) {
                v[i] = values[i] ? 1 : 0;
            }
            return new Feed(DataType.BOOL, shape, v);
        }
    }

    private final DataType type;
    private final Forward forward;
    private final Random random = new Random(20240611);

    private GradCheck(DataType type, Forward forward) {
        this.type = type;
        this.forward = forward;
    }

    /**
     * In double precision: h = 1e-6. Rounding contributes eps |f| / h, about 1e-9 for |f| of order 10, and
     * truncation h^2 f''' / 6 about 1e-12, so agreement to 1e-7 of the largest derivative leaves a margin of 100.
     */
    static GradCheck inDouble(Forward forward) {
        return new GradCheck(DataType.DOUBLE, forward);
    }

    /**
     * In float32, for ops ONNX Runtime's CPU provider has no double kernel for, and for graphs whose input and output
     * are float32. h = 1e-2 balances rounding (float eps 6e-8 * |f| / h, about 2e-5 for |f| of order 3) against
     * truncation (h^2 f''' / 6, below 4e-5 for these smooth ops on [-1, 1]); 2e-3 of the largest derivative leaves
     * a margin of 50 over both.
     */
    static GradCheck inFloat(Forward forward) {
        return new GradCheck(DataType.FLOAT, forward);
    }

    private double step() {
        return type == DataType.DOUBLE ? 1e-6 : 1e-2;
    }

    private double tolerance() {
        return type == DataType.DOUBLE ? 1e-7 : 2e-3;
    }

    /**
     * Checks d sum(seed * logits) / d {@code wrt} at one point. {@code feeds} gives each input either a shape
     * ({@code long[]}: random values in the input's range) or a {@link Feed}.
     */
    void verify(String wrt, Map<String, Object> feeds) {
        Map<String, double[]> ranges = new HashMap<>();
        byte[] plain = build(ranges).toBytes();
        OnnxModel differentiated = build(new HashMap<>());
        new Gradient(wrt).apply(differentiated);
        Map<String, Feed> point = new LinkedHashMap<>();
        feeds.forEach((name, f) -> point.put(name, f instanceof Feed feed ? feed : randomFeed((long[]) f, ranges.get(name))));
        try (OrtSession fwd = ENV.createSession(plain, new OrtSession.SessionOptions());
             OrtSession grad = ENV.createSession(differentiated.toBytes(), new OrtSession.SessionOptions())) {
            Output logits = run(fwd, point, "logits");
            double[] seed = new double[logits.values().length];
            for (int i = 0; i < seed.length; i++) {
                seed[i] = random.nextGaussian();
            }
            Map<String, Feed> withSeed = new LinkedHashMap<>(point);
            withSeed.put(Gradient.SEED, new Feed(type, logits.shape(), seed));
            Output g = run(grad, withSeed, Gradient.outputName(wrt));
            Feed x = point.get(wrt);
            assertArrayEquals(x.shape(), g.shape(), "shape of grad." + wrt);
            double h = step();
            double[] fd = new double[x.values().length];
            double scale = 1;
            for (int i = 0; i < fd.length; i++) {
                double f1 = objective(fwd, point, wrt, i, h, seed);
                double f0 = objective(fwd, point, wrt, i, -h, seed);
                fd[i] = (f1 - f0) / (2 * h);
                scale = Math.max(scale, Math.abs(fd[i]));
            }
            List<String> bad = new ArrayList<>();
            for (int i = 0; i < fd.length; i++) {
                if (!(Math.abs(g.values()[i] - fd[i]) <= tolerance() * scale)) {
                    bad.add("[" + i + "] graph " + g.values()[i] + " vs finite difference " + fd[i]);
                }
            }
            assertTrue(bad.isEmpty(), "d logits / d " + wrt + " disagrees with central differences (tolerance "
                    + tolerance() + " x " + scale + ") at " + bad.size() + " of " + fd.length + " elements: "
                    + bad.subList(0, Math.min(5, bad.size())));
        } catch (OrtException e) {
            throw new AssertionError("ONNX Runtime: " + e.getMessage(), e);
        }
    }

    /** sum(seed * logits) with element {@code i} of {@code wrt} moved by {@code delta}. */
    private double objective(OrtSession fwd, Map<String, Feed> point, String wrt, int i, double delta, double[] seed)
            throws OrtException {
        Map<String, Feed> moved = new LinkedHashMap<>(point);
        Feed x = point.get(wrt);
        double[] values = x.values().clone();
        values[i] += delta;
        moved.put(wrt, new Feed(x.type(), x.shape(), values));
        return dot(seed, run(fwd, moved, "logits").values);
    }

    private OnnxModel build(Map<String, double[]> ranges) {
        OnnxModel model = OnnxModel.create("gradcheck", OPSET, null);
        Ops ops = new Ops(model.graph(), OPSET);
        Value y = forward.build(new Builder(ops, type, ranges));
        Value logits = ops.op("Identity").in(y).out("logits");
        logits.setType(new TensorType(type, null));
        model.graph().addOutput(logits);
        return model;
    }

    private Feed randomFeed(long[] shape, double[] range) {
        double[] v = new double[numel(shape)];
        for (int i = 0; i < v.length; i++) {
            v[i] = range[0] + (range[1] - range[0]) * random.nextDouble();
        }
        return new Feed(type, shape, v);
    }

    /** A fetched tensor: shape and values. */
    record Output(long[] shape, double[] values) {
    }

    /** Runs {@code session} on {@code feeds} and fetches the floating tensor {@code output}. */
    static Output run(OrtSession session, Map<String, Feed> feeds, String output) throws OrtException {
        Map<String, OnnxTensor> inputs = new LinkedHashMap<>();
        try {
            for (Map.Entry<String, Feed> e : feeds.entrySet()) {
                inputs.put(e.getKey(), tensor(e.getValue()));
            }
            try (OrtSession.Result r = session.run(inputs, Set.of(output))) {
                OnnxTensor t = (OnnxTensor) r.get(output).orElseThrow();
                return new Output(t.getInfo().getShape(), values(t));
            }
        } finally {
            inputs.values().forEach(OnnxTensor::close);
        }
    }

    static OnnxTensor tensor(Feed f) throws OrtException {
        int n = f.values().length;
        return switch (f.type()) {
            case DOUBLE -> OnnxTensor.createTensor(ENV, DoubleBuffer.wrap(f.values()), f.shape());
            case FLOAT -> {
                FloatBuffer b = FloatBuffer.allocate(n);
                for (double v : f.values()) {
                    b.put((float) v);
                }
                yield OnnxTensor.createTensor(ENV, b.flip(), f.shape());
            }
            case FLOAT16 -> {
                ShortBuffer b = ShortBuffer.allocate(n);
                for (double v : f.values()) {
                    b.put(HalfFloats.floatToFp16((float) v));
                }
                yield OnnxTensor.createTensor(ENV, b.flip(), f.shape(), OnnxJavaType.FLOAT16);
            }
            case INT64 -> {
                LongBuffer b = LongBuffer.allocate(n);
                for (double v : f.values()) {
                    b.put((long) v);
                }
                yield OnnxTensor.createTensor(ENV, b.flip(), f.shape());
            }
            case BOOL -> {
                ByteBuffer b = ByteBuffer.allocateDirect(n).order(ByteOrder.nativeOrder());
                for (double v : f.values()) {
                    b.put((byte) (v != 0 ? 1 : 0));
                }
                yield OnnxTensor.createTensor(ENV, b.flip(), f.shape(), OnnxJavaType.BOOL);
            }
            default -> throw new IllegalArgumentException("cannot feed " + f.type());
        };
    }

    static double[] values(OnnxTensor t) {
        return switch (t.getInfo().type) {
            case DOUBLE -> {
                DoubleBuffer b = t.getDoubleBuffer();
                double[] v = new double[b.remaining()];
                b.get(v);
                yield v;
            }
            case FLOAT -> {
                FloatBuffer b = t.getFloatBuffer();
                double[] v = new double[b.remaining()];
                for (int i = 0; i < v.length; i++) {
                    v[i] = b.get(i);
                }
                yield v;
            }
            default -> throw new IllegalArgumentException("not a floating tensor: " + t.getInfo().type);
        };
    }

    static double dot(double[] a, double[] b) {
        double sum = 0;
        for (int i = 0; i < a.length; i++) {
            sum += a[i] * b[i];
        }
        return sum;
    }

    static int numel(long[] shape) {
        long n = 1;
        for (long d : shape) {
            n *= d;
        }
        return Math.toIntExact(n);
    }

    /** Shorthand for a shape. */
    static long[] dims(long... d) {
        return d;
    }

    /** Map of feeds in declaration order; names and values alternate. */
    static Map<String, Object> feeds(Object... namesAndValues) {
        Map<String, Object> m = new LinkedHashMap<>();
        for (int i = 0; i < namesAndValues.length; i += 2) {
            m.put((String) namesAndValues[i], namesAndValues[i + 1]);
        }
        return m;
    }

    /** Verifies the gradient with respect to each named input in turn (fresh random values each time). */
    void verifyEach(Map<String, Object> feedsAtPoint, String... wrts) {
        for (String wrt : wrts) {
            verify(wrt, feedsAtPoint);
        }
    }
}
