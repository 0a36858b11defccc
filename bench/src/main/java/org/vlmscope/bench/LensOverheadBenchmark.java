package org.vlmscope.bench;

import java.io.PrintWriter;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtSession;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;
import org.vlmscope.core.vocab.GraphNames;
import org.vlmscope.core.vocab.HookName;
import org.vlmscope.graph.passes.Expose;
import org.vlmscope.graph.passes.LogitLens;
import org.vlmscope.graph.passes.Pass;
import org.vlmscope.runtime.run.DecoderInputs;
import org.vlmscope.runtime.session.Device;
import org.vlmscope.runtime.session.ModelSession;

/**
 * What observing costs: a plain decoder prefill against the same prefill with every residual stream exposed,
 * and with every residual stream exposed plus a top-5 logit lens, on the same inputs in one process. The lens
 * multiplies each of the layers + 1 residual streams by the unembedding, so its cost relative to the model is
 * set by the model's shape: (layers + 1) * d_model * vocab against the layers' own work.
 */
public final class LensOverheadBenchmark {
    private static final double MIB = 1 << 20;
    private LensOverheadBenchmark() {
    }

    /** {@code threads}: ONNX Runtime intra-op threads, 0 for its default; {@code seed}: of the input embeddings. */
    public static void run(PrintWriter out, Path modelDir, int sequence, int repetitions, int threads, long seed) {
        try (ModelSession session = ModelSession.open(modelDir, Device.CPU, threads, List.of())) {
            var dims = session.manifest().dims();
            List<String> residuals = List.of(HookName.residPre(0), HookName.EVERY_RESID_POST);
            Map<String, List<Pass>> variants = new java.util.LinkedHashMap<>();
            variants.put("plain", List.of());
            variants.put("exposed", List.of(new Expose(residuals)));
            variants.put("exposed + lens top-5", List.of(new Expose(residuals), new LogitLens(5, List.of())));
            out.printf(Locale.ROOT, "model: %d layers, d_model %d, vocab %d; prefill of %d positions, %d timed runs"
                    + " each after one warm-up, on %s%n", dims.layers(), dims.dModel(), dims.vocab(), sequence,
                    repetitions, session.provider());
            try (DecoderInputs decoderInputs = inputs(session, sequence, seed)) {
                Map<String, OnnxTensor> inputs = decoderInputs.map();
                double plain = 0;
                for (Map.Entry<String, List<Pass>> v : variants.entrySet()) {
                    // Build the variant first, so the growth measured next is the run's own working memory, which
                    // ONNX Runtime's arena keeps after the run: activations and, for the lens, its logits rows.
                    session.variant(GraphNames.DECODER, v.getValue());
                    long before = resident();
                    double median = median(session, v.getValue(), inputs, repetitions);
                    if (v.getKey().equals("plain")) {
                        plain = median;
                    }
                    out.printf(Locale.ROOT, "  %-22s median %8.1f ms   %.2fx plain   working memory %+.0f MiB%n",
                            v.getKey(), median * 1e3, median / plain, (resident() - before) / MIB);
                }
                long rowLogits = (long) sequence * dims.vocab() * 4;
                out.printf(Locale.ROOT, "  one row of lens logits [seq, vocab] is %.1f MiB; all %d rows would be %.0f MiB%n",
                        rowLogits / MIB, dims.layers() + 1, (dims.layers() + 1) * rowLogits / MIB);
                double layerWork = dims.layers() * (4.0 * dims.dModel() * dims.dModel()
                        + 3.0 * dims.dModel() * dims.intermediate());
                double unembed = (double) dims.dModel() * dims.vocab();
                out.printf(Locale.ROOT, "  multiply-adds per position: layers %.3g, unembedding %.3g, lens %.3g;"
                        + " expected lens ratio about %.2fx (attention excluded)%n", layerWork, unembed,
                        (dims.layers() + 1) * unembed, (layerWork + unembed + (dims.layers() + 1) * unembed) / (layerWork + unembed));
            }
        }
    }

    /** The process's resident memory (VmRSS, Linux), or 0 where it cannot be read. */
    private static long resident() {
        try {
            for (String line : java.nio.file.Files.readAllLines(java.nio.file.Path.of("/proc/self/status"))) {
                if (line.startsWith("VmRSS:")) {
                    return Long.parseLong(line.replaceAll("\\D", "")) * 1024;
                }
            }
        } catch (java.io.IOException | NumberFormatException e) {
            return 0;
        }
        return 0;
    }

    private static double median(ModelSession session, List<Pass> passes, Map<String, OnnxTensor> inputs, int reps) {
        double[] seconds = new double[reps + 1];
        for (int i = 0; i <= reps; i++) {
            long t0 = System.nanoTime();
            try (OrtSession.Result r = session.run(GraphNames.DECODER, passes, inputs)) {
                seconds[i] = (System.nanoTime() - t0) / 1e9;
            }
        }
        double[] timed = Arrays.copyOfRange(seconds, 1, seconds.length);
        Arrays.sort(timed);
        return timed[timed.length / 2];
    }

    /** Seeded random embeddings of the model's width, a full mask, positions 0.., an empty cache. */
    private static DecoderInputs inputs(ModelSession session, int sequence, long seed) {
        var dims = session.manifest().dims();
        float[] embeds = new float[sequence * dims.dModel()];
        SplittableRandom random = new SplittableRandom(seed);
        for (int i = 0; i < embeds.length; i++) {
            embeds[i] = (float) (random.nextDouble() * 2 - 1) * 0.1f;
        }
        return DecoderInputs.prompt(session, embeds, 1, sequence);
    }
}
