package org.vlmscope.bench;

import java.io.PrintWriter;
import ai.onnxruntime.OrtSession;
import java.util.List;
import java.util.Locale;
import org.vlmscope.core.SafetensorsWriter.NamedTensor;
import org.vlmscope.core.vocab.GraphNames;
import org.vlmscope.runtime.attribution.IntegratedGradients;
import org.vlmscope.runtime.run.Forward;
import org.vlmscope.runtime.run.ImageTokens;
import org.vlmscope.runtime.session.Device;
import org.vlmscope.runtime.session.ModelSession;

/**
 * The cost of the backward graph: IG-50 (50 forward + backward passes, batched) against 50 plain forward passes
 * of the decoder on the same prompt, for several batch sizes, reporting the fastest on this machine.
 */
public final class IgBenchmark {
    private static final int STEPS = 50;

    private IgBenchmark() {
    }

    /** {@code threads}: ONNX Runtime intra-op threads, 0 for its default. */
    public static void run(PrintWriter out, java.nio.file.Path modelDir, NamedTensor pixelValues, long[] prompt, int[] batchSizes,
                           int threads) {
        try (ModelSession session = ModelSession.open(modelDir, Device.CPU, threads, List.of())) {
            var d = session.manifest().dims();
            long[] ids = prompt;
            int seq = ImageTokens.expand(ids, session.manifest().imageTokenId(), d.visualTokens()).length;
            IntegratedGradients.Target target = new IntegratedGradients.Target(0, null, -1);
            IntegratedGradients.Baseline baseline = new IntegratedGradients.Baseline(new float[d.dModel()], null);
            double plain = plainForwards(session, pixelValues, ids);
            out.printf(Locale.ROOT, "model: %d layers, d_model %d, vocab %d; prompt %d positions; %s%n",
                    d.layers(), d.dModel(), d.vocab(), seq, session.provider());
            out.printf(Locale.ROOT, "  %d plain decoder forward passes (batch 1):  %7.2f s%n", STEPS, plain);
            double best = Double.MAX_VALUE;
            int bestBatch = 0;
            for (int batch : batchSizes) {
                IntegratedGradients.Options options = new IntegratedGradients.Options(STEPS,
                        IntegratedGradients.Rule.RIGHT, IntegratedGradients.Reduce.SUM, batch);
                IntegratedGradients.run(session, pixelValues, ids, baseline, target,
                        new IntegratedGradients.Options(batch, IntegratedGradients.Rule.RIGHT,
                                IntegratedGradients.Reduce.SUM, batch)); // warm-up: builds and compiles the variant
                long t0 = System.nanoTime();
                IntegratedGradients.run(session, pixelValues, ids, baseline, target, options);
                double seconds = (System.nanoTime() - t0) / 1e9;
                out.printf(Locale.ROOT, "  IG-%d forward+backward, batch %3d:          %7.2f s  %.2fx the plain passes%n",
                        STEPS, batch, seconds, seconds / plain);
                if (seconds < best) {
                    best = seconds;
                    bestBatch = batch;
                }
            }
            out.printf(Locale.ROOT, "  fastest batch size here: %d (%.2fx the plain passes)%n", bestBatch, best / plain);
        }
    }

    /** Seconds for 50 plain decoder runs on the prompt's embeddings, after one warm-up run. */
    private static double plainForwards(ModelSession session, NamedTensor pixelValues, long[] ids) {
        try (Forward.Prefill prefill = Forward.Prefill.plain(session, pixelValues, new long[][] {ids})) {
            prefill.runDecoder().close();
            long t0 = System.nanoTime();
            for (int i = 0; i < STEPS; i++) {
                try (OrtSession.Result r = prefill.runDecoder()) {
                    r.get(GraphNames.LOGITS).orElseThrow();
                }
            }
            return (System.nanoTime() - t0) / 1e9;
        }
    }
}
