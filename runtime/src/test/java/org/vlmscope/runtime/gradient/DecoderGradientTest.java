package org.vlmscope.runtime.gradient;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.onnx.proto.OnnxMl.TensorProto.DataType;
import ai.onnxruntime.OnnxTensor;
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
import java.util.Set;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.vlmscope.exporter.ExportOptions;
import org.vlmscope.exporter.Exporter;
import org.vlmscope.graph.OnnxModel;
import org.vlmscope.graph.passes.AttentionBias;
import org.vlmscope.graph.passes.Gradient;
import org.vlmscope.graph.passes.Pass;
import org.vlmscope.graph.passes.Patch;
import org.vlmscope.runtime.gradient.GradCheck.Feed;

/**
 * The gradient pass on a whole exported decoder (the golden llava-tiny checkpoint: 4 Llama layers, grouped-query
 * attention, SiLU MLP, rotary embeddings), checked by directional finite differences in float32.
 */
class DecoderGradientTest {
    private static final OrtEnvironment ENV = OrtEnvironment.getEnvironment();
    private static final int SEQ = 6;
    private static final int LAYERS = 4;

    @TempDir
    static Path tmp;
    static Path fp32;

    @BeforeAll
    static void export() {
        fp32 = tmp.resolve("fp32");
        Exporter.export(golden(), fp32, ExportOptions.parse("fp32"));
    }

    @Test
    void plainDecoder() throws OrtException {
        report("plain", List.of(), feeds(new Random(1)));
    }

    @Test
    void underKnockout() throws OrtException {
        Map<String, Feed> feeds = feeds(new Random(2));
        double[] bias = new double[SEQ * SEQ];
        for (int key : new int[] {1, 3}) {
            bias[(SEQ - 1) * SEQ + key] = Double.NEGATIVE_INFINITY;
        }
        List<Integer> layers = new ArrayList<>();
        for (int i = 0; i < LAYERS; i++) {
            layers.add(i);
            feeds.put(AttentionBias.inputName(i), new Feed(DataType.FLOAT, new long[] {1, 1, SEQ, SEQ}, bias));
        }
        report("knockout", List.of(new AttentionBias(layers)), feeds);
    }

    @Test
    void fp16() throws OrtException {
        Path fp16 = tmp.resolve("fp16");
        Exporter.export(golden(), fp16, ExportOptions.parse("fp16"));
        Map<String, Feed> feeds = feeds(new Random(3));
        for (int i = 0; i < LAYERS; i++) {
            for (String kv : new String[] {"key", "value"}) {
                feeds.put("past_key_values." + i + "." + kv, new Feed(DataType.FLOAT16, new long[] {1, 2, 0, 16}, new double[0]));
            }
        }
        Random r = new Random(7);
        double[] seed = new double[SEQ * 1024];
        for (int i = 0; i < seed.length; i++) {
            seed[i] = r.nextGaussian();
        }
        feeds.put(Gradient.SEED, new Feed(DataType.FLOAT, new long[] {1, SEQ, 1024}, seed));
        double[] g16;
        try (OrtSession s = session(fp16, List.of(new Gradient("inputs_embeds")))) {
            g16 = run(s, feeds, "grad.inputs_embeds");
        }
        Map<String, Feed> f32 = new LinkedHashMap<>(feeds);
        f32.putAll(feeds(new Random(3)));
        double[] g32;
        try (OrtSession s = session(fp32, List.of(new Gradient("inputs_embeds")))) {
            g32 = run(s, f32, "grad.inputs_embeds");
        }
        double dot = 0, n16 = 0, n32 = 0, diff = 0;
        for (int i = 0; i < g32.length; i++) {
            dot += g16[i] * g32[i]; n16 += g16[i] * g16[i]; n32 += g32[i] * g32[i]; diff += (g16[i] - g32[i]) * (g16[i] - g32[i]);
        }
        System.out.printf("fp16 cos %.6f relL2 %.4g norm %.4g%n", dot / Math.sqrt(n16 * n32), Math.sqrt(diff / n32), Math.sqrt(n32));
    }

    private void report(String what, List<Pass> passes, Map<String, Feed> feeds) throws OrtException {
        Random r = new Random(7);
        long vocab = 1024;
        double[] seed = new double[(int) (SEQ * vocab)];
        for (int i = 0; i < seed.length; i++) {
            seed[i] = r.nextGaussian();
        }
        try (OrtSession plain = session(fp32, passes); OrtSession grad = session(fp32, with(passes, new Gradient("inputs_embeds")))) {
            Map<String, Feed> withSeed = new LinkedHashMap<>(feeds);
            withSeed.put(Gradient.SEED, new Feed(DataType.FLOAT, new long[] {1, SEQ, vocab}, seed));
            double[] g = run(grad, withSeed, "grad.inputs_embeds");
            Feed x = feeds.get("inputs_embeds");
            for (int k = 0; k < 4; k++) {
                double[] u = new double[x.values().length];
                double norm = 0;
                for (int i = 0; i < u.length; i++) {
                    u[i] = r.nextGaussian();
                    norm += u[i] * u[i];
                }
                double dd = 0;
                for (int i = 0; i < u.length; i++) {
                    u[i] /= Math.sqrt(norm);
                    dd += g[i] * u[i];
                }
                for (double h : new double[] {1e-3, 3e-3, 1e-2, 3e-2, 1e-1}) {
                    double fd = (f(plain, feeds, u, h, seed) - f(plain, feeds, u, -h, seed)) / (2 * h);
                    System.out.printf("%s dir %d h %g: graph %.6g fd %.6g rel %.3g%n", what, k, h, dd, fd, Math.abs(dd - fd) / Math.abs(fd));
                }
            }
        }
    }

    private static double f(OrtSession s, Map<String, Feed> feeds, double[] u, double h, double[] seed) throws OrtException {
        Map<String, Feed> moved = new LinkedHashMap<>(feeds);
        Feed x = feeds.get("inputs_embeds");
        double[] v = x.values().clone();
        for (int i = 0; i < v.length; i++) {
            v[i] += h * u[i];
        }
        moved.put("inputs_embeds", new Feed(x.type(), x.shape(), v));
        double[] y = run(s, moved, "logits");
        double sum = 0;
        for (int i = 0; i < y.length; i++) {
            sum += seed[i] * y[i];
        }
        return sum;
    }

    private static List<Pass> with(List<Pass> passes, Pass last) {
        List<Pass> all = new ArrayList<>(passes);
        all.add(last);
        return all;
    }

    private static Map<String, Feed> feeds(Random r) {
        Map<String, Feed> feeds = new LinkedHashMap<>();
        double[] embeds = new double[SEQ * 64];
        for (int i = 0; i < embeds.length; i++) {
            embeds[i] = r.nextGaussian();
        }
        feeds.put("inputs_embeds", new Feed(DataType.FLOAT, new long[] {1, SEQ, 64}, embeds));
        long[] ones = new long[SEQ];
        long[] positions = new long[SEQ];
        for (int i = 0; i < SEQ; i++) {
            ones[i] = 1;
            positions[i] = i;
        }
        feeds.put("attention_mask", Feed.ints(new long[] {1, SEQ}, ones));
        feeds.put("position_ids", Feed.ints(new long[] {1, SEQ}, positions));
        for (int i = 0; i < LAYERS; i++) {
            for (String kv : new String[] {"key", "value"}) {
                feeds.put("past_key_values." + i + "." + kv, new Feed(DataType.FLOAT, new long[] {1, 2, 0, 16}, new double[0]));
            }
        }
        return feeds;
    }

    private static OrtSession session(Path dir, List<Pass> passes) throws OrtException {
        OnnxModel model = OnnxModel.load(dir.resolve("decoder.onnx"));
        passes.forEach(p -> p.apply(model));
        OrtSession.SessionOptions options = new OrtSession.SessionOptions();
        options.addConfigEntry("session.model_external_initializers_file_folder_path", dir.toString());
        return ENV.createSession(model.toBytes(), options);
    }

    private static double[] run(OrtSession s, Map<String, Feed> feeds, String output) throws OrtException {
        Map<String, OnnxTensor> in = new LinkedHashMap<>();
        try {
            for (var e : feeds.entrySet()) {
                in.put(e.getKey(), GradCheck.tensor(e.getValue()));
            }
            try (OrtSession.Result r = s.run(in, Set.of(output))) {
                return GradCheck.values((OnnxTensor) r.get(output).orElseThrow());
            }
        } finally {
            in.values().forEach(OnnxTensor::close);
        }
    }

    /** The golden checkpoint, from the repository's testdata, looked for from the working directory upwards. */
    private static Path golden() {
        for (Path dir = Path.of("").toAbsolutePath(); dir != null; dir = dir.getParent()) {
            Path candidate = dir.resolve("testdata/golden/llava-tiny/model");
            if (Files.isDirectory(candidate)) {
                return candidate;
            }
        }
        throw new IllegalStateException("testdata/golden/llava-tiny not found above " + Path.of("").toAbsolutePath());
    }
}
