package org.vlmscope.runtime.gradient;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.vlmscope.runtime.gradient.GradCheck.dot;

import ai.onnx.proto.OnnxMl.TensorProto.DataType;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.vlmscope.exporter.ExportOptions;
import org.vlmscope.exporter.Exporter;
import org.vlmscope.graph.OnnxModel;
import org.vlmscope.graph.passes.Gradient;
import org.vlmscope.graph.passes.Pass;
import org.vlmscope.runtime.gradient.GradCheck.Feed;

/**
 * One graph of an export of the golden llava-tiny checkpoint, run with passes applied in memory, and the
 * directional finite-difference check of the gradient pass on it. Derivatives are compared along random unit
 * directions u: the gradient's dot product with u against (f(x + h u) - f(x - h u)) / 2h, f = sum(seed * output).
 */
record ExportedGraph(Path dir, String file, String output) {
    private static final OrtEnvironment ENV = OrtEnvironment.getEnvironment();

    /** Exports the golden checkpoint into {@code dir} ("fp32" or "fp16"). */
    static Path export(Path dir, String dtype) {
        Exporter.export(checkpoint(), dir, ExportOptions.parse(dtype));
        return dir;
    }

    /** The graph with {@code passes} applied, weights read from the export's directory. */
    OrtSession session(List<Pass> passes) throws OrtException {
        OnnxModel model = OnnxModel.load(dir.resolve(file));
        passes.forEach(p -> p.apply(model));
        OrtSession.SessionOptions options = new OrtSession.SessionOptions();
        options.addConfigEntry("session.model_external_initializers_file_folder_path", dir.toString());
        return ENV.createSession(model.toBytes(), options);
    }

    /** grad.{wrt} of the graph with {@code passes} then Gradient(wrt, output); feeds include the seed. */
    double[] gradient(List<Pass> passes, Map<String, Feed> feeds, String wrt) throws OrtException {
        List<Pass> all = new ArrayList<>(passes);
        all.add(new Gradient(wrt, output));
        try (OrtSession s = session(all)) {
            return run(s, feeds, Gradient.outputName(wrt));
        }
    }

    /**
     * Checks the gradient of {@code output} with respect to {@code wrt}, built after {@code passes}, along four
     * random unit directions; finite differences move the fed tensor {@code moved} in the graph with the same
     * passes. The error is taken relative to max(|fd|, 1), so a direction nearly orthogonal to the gradient (whose
     * derivative is all rounding noise) cannot fail the check, and must stay below {@code tolerance}. Returns the
     * gradient.
     */
    double[] checkDirections(List<Pass> passes, Map<String, Feed> feeds, String moved, String wrt, long[] outputShape,
                             double h, double tolerance, Random random) throws OrtException {
        Feed seed = gaussian(random, outputShape);
        Map<String, Feed> withSeed = new LinkedHashMap<>(feeds);
        withSeed.put(Gradient.SEED, seed);
        double[] g = gradient(passes, withSeed, wrt);
        Feed x = feeds.get(moved);
        assertEquals(x.values().length, g.length, "size of grad." + wrt);
        List<String> report = new ArrayList<>();
        boolean ok = true;
        try (OrtSession plain = session(passes)) {
            for (int k = 0; k < 4; k++) {
                double[] u = gaussian(random, x.shape()).values();
                double norm = Math.sqrt(dot(u, u));
                for (int i = 0; i < u.length; i++) {
                    u[i] /= norm;
                }
                double along = dot(g, u);
                double fd = (objective(plain, feeds, moved, u, h, seed) - objective(plain, feeds, moved, u, -h, seed))
                        / (2 * h);
                double relative = Math.abs(along - fd) / Math.max(Math.abs(fd), 1);
                ok &= relative < tolerance;
                report.add(String.format("graph %.6g vs finite difference %.6g (relative error %.2g)", along, fd,
                        relative));
            }
        }
        assertTrue(ok, "directional derivatives of d " + output + " / d " + wrt + ": " + report);
        return g;
    }

    /** sum(seed * output) with the fed tensor {@code moved} shifted by h u. */
    private double objective(OrtSession plain, Map<String, Feed> feeds, String moved, double[] u, double h, Feed seed)
            throws OrtException {
        Map<String, Feed> shifted = new LinkedHashMap<>(feeds);
        Feed x = feeds.get(moved);
        double[] v = x.values().clone();
        for (int i = 0; i < v.length; i++) {
            v[i] += h * u[i];
        }
        shifted.put(moved, new Feed(x.type(), x.shape(), v));
        return dot(seed.values(), run(plain, shifted, output));
    }

    /** Float32 values drawn from N(0, 1). */
    static Feed gaussian(Random random, long[] shape) {
        double[] v = new double[GradCheck.numel(shape)];
        for (int i = 0; i < v.length; i++) {
            v[i] = random.nextGaussian();
        }
        return new Feed(DataType.FLOAT, shape, v);
    }

    static double[] run(OrtSession s, Map<String, Feed> feeds, String output) throws OrtException {
        return GradCheck.run(s, feeds, output).values();
    }

    /** The golden checkpoint, from the repository's testdata, looked for from the working directory upwards. */
    private static Path checkpoint() {
        for (Path d = Path.of("").toAbsolutePath(); d != null; d = d.getParent()) {
            Path candidate = d.resolve("testdata/golden/llava-tiny/model");
            if (Files.isDirectory(candidate)) {
                return candidate;
            }
        }
        throw new IllegalStateException("testdata/golden/llava-tiny not found above " + Path.of("").toAbsolutePath());
    }
}
