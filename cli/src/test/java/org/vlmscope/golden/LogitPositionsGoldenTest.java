package org.vlmscope.golden;

import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import com.fasterxml.jackson.databind.JsonNode;
import java.nio.FloatBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.vlmscope.exporter.ExportOptions;
import org.vlmscope.exporter.Exporter;
import org.vlmscope.graph.passes.Gradient;
import org.vlmscope.graph.passes.LogitPositions;
import org.vlmscope.graph.passes.Pass;
import org.vlmscope.runtime.session.Device;
import org.vlmscope.runtime.session.ModelSession;

/**
 * Logits at selected positions (the logit-positions pass) are the rows of the full logits, and a gradient seeded
 * at the target position only (logit positions, then the gradient pass) gives the same integrated gradients as
 * the seed over the whole [sequence, vocab] logits, both within the fixture's tolerances of Hugging Face. The LM
 * input is Hugging Face's own inputs_embeds, so only the decoder graph is under test.
 */
class LogitPositionsGoldenTest {
    private static final int STEPS = 50;

    @TempDir
    Path tmp;

    @ParameterizedTest
    @ValueSource(strings = {"llava-tiny", "llava-phi3-dev"})
    void restrictedLogitsAreRowsOfTheFullLogits(String name) throws OrtException {
        try (GoldenFixture f = GoldenFixture.load(name);
             ModelSession s = open(f)) {
            float[] embeds = f.floats("lm.inputs_embeds");
            float[] hfLogits = f.floats("logits");
            int vocab = s.manifest().dims().vocab();
            int seq = hfLogits.length / vocab;
            long[] positions = {-1, 0, 100, 100, seq - 2};
            float[] full;
            float[] picked;
            try (Decoder dec = new Decoder(s, embeds, 1)) {
                full = dec.run(List.of(), "logits");
                dec.inputs.put(LogitPositions.INPUT, dec.own(OnnxTensor.createTensor(s.env(), positions)));
                picked = dec.run(List.of(new LogitPositions()), "logits");
            }
            assertEquals(positions.length * vocab, picked.length, "restricted logits size");
            for (int i = 0; i < positions.length; i++) {
                int p = (int) (positions[i] < 0 ? seq + positions[i] : positions[i]);
                float[] row = Compare.rows(picked, i, i + 1, vocab);
                Compare.allClose("logits at " + p + " vs HF", Compare.rows(hfLogits, p, p + 1, vocab), row,
                        f.atol("logits"), f.rtol("logits"));
                Compare.allClose("logits at " + p + " vs full", Compare.rows(full, p, p + 1, vocab), row,
                        f.atol("logits"), f.rtol("logits"));
            }
        }
    }

    /** IG-50 (right Riemann sum, mean-vector baseline at the visual positions), both seeds on the same points. */
    @ParameterizedTest
    @ValueSource(strings = {"llava-tiny", "llava-phi3-dev"})
    void restrictedSeedGivesTheFullSeedsIntegratedGradients(String name) throws OrtException {
        try (GoldenFixture f = GoldenFixture.load(name);
             ModelSession s = open(f)) {
            JsonNode seqInfo = f.manifest.path("sequence");
            int start = seqInfo.path("visual_start").asInt();
            int end = seqInfo.path("visual_end_exclusive").asInt();
            int target = f.manifest.path("integrated_gradients").path("target_token").asInt();
            float[] x = f.floats("lm.inputs_embeds");
            float[] mean = f.floats("ablation.mean_vector");
            int d = mean.length;
            int vocab = s.manifest().dims().vocab();
            int seq = x.length / d;
            float[] base = x.clone();
            for (int p = start; p < end; p++) {
                System.arraycopy(mean, 0, base, p * d, d);
            }
            double[] fullSum = new double[x.length];
            double[] restrictedSum = new double[x.length];
            // Ten path points per decoder call; the seed picks the target logit at the last position of each.
            int batch = 10;
            float[] fullSeed = new float[batch * seq * vocab];
            float[] oneRowSeed = new float[batch * vocab];
            for (int b = 0; b < batch; b++) {
                fullSeed[(b * seq + seq - 1) * vocab + target] = 1f;
                oneRowSeed[b * vocab + target] = 1f;
            }
            for (int first = 1; first <= STEPS; first += batch) {
                float[] points = new float[batch * x.length];
                for (int b = 0; b < batch; b++) {
                    double alpha = (double) (first + b) / STEPS;
                    for (int i = 0; i < x.length; i++) {
                        points[b * x.length + i] = (float) (base[i] + alpha * (x[i] - base[i]));
                    }
                }
                try (Decoder dec = new Decoder(s, points, batch)) {
                    dec.inputs.put(Gradient.SEED, dec.own(OnnxTensor.createTensor(s.env(), FloatBuffer.wrap(fullSeed),
                            new long[] {batch, seq, vocab})));
                    add(fullSum, dec.run(List.of(new Gradient("inputs_embeds")), "grad.inputs_embeds"));
                    dec.inputs.put(Gradient.SEED, dec.own(OnnxTensor.createTensor(s.env(), FloatBuffer.wrap(oneRowSeed),
                            new long[] {batch, 1, vocab})));
                    dec.inputs.put(LogitPositions.INPUT, dec.own(OnnxTensor.createTensor(s.env(), new long[] {-1})));
                    add(restrictedSum, dec.run(List.of(new LogitPositions(), new Gradient("inputs_embeds")),
                            "grad.inputs_embeds"));
                }
            }
            float[] fullScores = scores(x, base, fullSum, start, end, d);
            float[] restrictedScores = scores(x, base, restrictedSum, start, end, d);
            Compare.allClose("restricted vs full-seed IG scores", fullScores, restrictedScores,
                    f.atol("ig_scores"), f.rtol("ig_scores"));
            Compare.allClose("restricted IG scores vs HF", f.floats("ig.scores"), restrictedScores,
                    f.atol("ig_scores"), f.rtol("ig_scores"));
        }
    }

    private ModelSession open(GoldenFixture f) {
        Path model = Exporter.export(f.checkpoint(), tmp.resolve("model"), ExportOptions.parse("fp32")).modelDir();
        return ModelSession.open(model, Device.CPU, List.of());
    }

    /** Adds the gradients of every point of a batch [points, seq, d] into {@code sum} [seq, d]. */
    private static void add(double[] sum, float[] grads) {
        for (int i = 0; i < grads.length; i++) {
            sum[i % sum.length] += grads[i];
        }
    }

    /** Signed sum over the hidden size of (x - baseline) * mean gradient, per visual position. */
    private static float[] scores(float[] x, float[] base, double[] gradSum, int start, int end, int d) {
        float[] out = new float[end - start];
        for (int p = start; p < end; p++) {
            double s = 0;
            for (int j = 0; j < d; j++) {
                int i = p * d + j;
                s += (x[i] - base[i]) * gradSum[i] / STEPS;
            }
            out[p - start] = (float) s;
        }
        return out;
    }

    /** The decoder's inputs for one prompt of embeddings with an empty KV cache; extra inputs join {@code inputs}. */
    private static final class Decoder implements AutoCloseable {
        private final ModelSession session;
        private final Map<String, OnnxTensor> inputs = new HashMap<>();
        private final List<OnnxTensor> owned = new ArrayList<>();

        Decoder(ModelSession session, float[] embeds, int batch) throws OrtException {
            this.session = session;
            OrtEnvironment env = session.env();
            var dims = session.manifest().dims();
            int seq = embeds.length / dims.dModel() / batch;
            long[][] mask = new long[batch][seq];
            long[][] positions = new long[batch][seq];
            for (int b = 0; b < batch; b++) {
                for (int i = 0; i < seq; i++) {
                    mask[b][i] = 1;
                    positions[b][i] = i;
                }
            }
            inputs.put("inputs_embeds", own(OnnxTensor.createTensor(env, FloatBuffer.wrap(embeds),
                    new long[] {batch, seq, dims.dModel()})));
            inputs.put("attention_mask", own(OnnxTensor.createTensor(env, mask)));
            inputs.put("position_ids", own(OnnxTensor.createTensor(env, positions)));
            for (int i = 0; i < dims.layers(); i++) {
                for (String kv : List.of("key", "value")) {
                    inputs.put("past_key_values." + i + "." + kv, own(OnnxTensor.createTensor(env, FloatBuffer.allocate(0),
                            new long[] {batch, dims.kvHeads(), 0, dims.headDim()})));
                }
            }
        }

        OnnxTensor own(OnnxTensor t) {
            owned.add(t);
            return t;
        }

        float[] run(List<Pass> passes, String output) {
            try (OrtSession.Result r = session.run("decoder", passes, inputs)) {
                FloatBuffer fb = ((OnnxTensor) r.get(output).orElseThrow()).getFloatBuffer();
                float[] out = new float[fb.remaining()];
                fb.get(out);
                return out;
            }
        }

        @Override
        public void close() {
            owned.forEach(OnnxTensor::close);
        }
    }
}
