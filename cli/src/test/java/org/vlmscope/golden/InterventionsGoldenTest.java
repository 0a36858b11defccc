package org.vlmscope.golden;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.ByteOrder;
import java.nio.LongBuffer;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.vlmscope.core.SafetensorsFile;
import org.vlmscope.core.SafetensorsWriter.NamedTensor;
import org.vlmscope.exporter.ExportOptions;
import org.vlmscope.exporter.Exporter;
import org.vlmscope.runtime.session.Device;
import org.vlmscope.runtime.run.Forward;
import org.vlmscope.runtime.image.ImageGrid;
import org.vlmscope.runtime.image.VisionInput;
import org.vlmscope.runtime.intervene.Intervention;
import org.vlmscope.runtime.intervene.LensRequest;
import org.vlmscope.runtime.session.ModelSession;

/**
 * Mean ablation, attention knockout and the logit lens, run as graph rewrites, reproduce Hugging Face's results
 * on both LLaVA golden fixtures and on Qwen2-VL's (its image from the fixture's pixel rows and grid).
 */
class InterventionsGoldenTest {
    @TempDir
    static Path tmp;
    static final Map<String, Path> MODELS = new java.util.HashMap<>();

    @BeforeAll
    static void export() {
        for (String name : List.of("llava-tiny", "llava-phi3-dev", "qwen2vl-dev")) {
            try (GoldenFixture f = GoldenFixture.load(name)) {
                MODELS.put(name, Exporter.export(f.checkpoint(), tmp.resolve(name), ExportOptions.parse("fp32")).modelDir());
            }
        }
    }

    @AfterAll
    static void forget() {
        MODELS.clear();
    }

    @ParameterizedTest
    @ValueSource(strings = {"llava-tiny", "llava-phi3-dev", "qwen2vl-dev"})
    void meanAblation(String name) {
        try (GoldenFixture f = GoldenFixture.load(name);
             ModelSession s = ModelSession.open(MODELS.get(name), Device.CPU, List.of())) {
            float[] mean = f.floats("ablation.mean_vector");
            for (JsonNode c : f.manifest.path("ablation").path("cases")) {
                int[] positions = ints(c.path("sequence_positions"));
                Map<String, NamedTensor> out = Forward.run(s, vision(f), new long[][] {f.inputIds()},
                        List.of(new Intervention.Ablation(positions, mean)), null, Forward.Logits.ALL);
                Compare.allClose("ablation." + c.path("name").asText(), f.floats(c.path("tensor").asText()),
                        lastPosition(out.get("logits")), f.atol("logits"), f.rtol("logits"));
            }
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"llava-tiny", "llava-phi3-dev", "qwen2vl-dev"})
    void attentionKnockout(String name) {
        try (GoldenFixture f = GoldenFixture.load(name);
             ModelSession s = ModelSession.open(MODELS.get(name), Device.CPU, List.of())) {
            int target = f.manifest.path("target_token").path("id").asInt();
            for (JsonNode c : f.manifest.path("knockout").path("cases")) {
                String caseName = c.path("name").asText();
                var knockout = new Intervention.Knockout(ints(c.path("key_positions")),
                        new int[] {c.path("query_position").asInt()}, ints(c.path("layers")));
                float[] logits = lastPosition(Forward.run(s, vision(f), new long[][] {f.inputIds()}, List.of(knockout),
                        null, Forward.Logits.ALL).get("logits"));
                Compare.allClose("knockout." + caseName, f.floats("knockout." + caseName + ".final_logits"), logits,
                        f.atol("logits"), f.rtol("logits"));
                float prob = softmax(logits)[target];
                assertEquals(f.floats("knockout." + caseName + ".target_prob")[0], prob, f.atol("target_prob"),
                        "knockout." + caseName + ".target_prob");
            }
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"llava-tiny", "llava-phi3-dev", "qwen2vl-dev"})
    void logitLens(String name) {
        try (GoldenFixture f = GoldenFixture.load(name);
             ModelSession s = ModelSession.open(MODELS.get(name), Device.CPU, List.of())) {
            Map<String, NamedTensor> out = Forward.run(s, vision(f), new long[][] {f.inputIds()}, List.of(),
                    new LensRequest(5, List.of()), Forward.Logits.ALL);
            int layers = s.manifest().dims().layers();
            int seq = f.inputIds().length;
            NamedTensor ids = out.get("lens.top_ids");
            assertEquals(List.of((long) layers + 1, 1L, (long) seq, 5L), java.util.Arrays.stream(ids.shape()).boxed().toList());
            long[] gotIds = longs(ids);
            float[] gotValues = out.get("lens.top_logits").toFloatArray();
            long[] wantIds = f.longs("logit_lens.top5_ids");
            float[] wantValues = f.floats("logit_lens.top5_values");
            int rowSize = seq * 5;
            // Golden layer i is lens row i + 1 (row 0 is the embeddings).
            float[] gotLayers = Compare.rows(gotValues, 1, layers + 1, rowSize);
            Compare.allClose("logit_lens.top5_values", wantValues, gotLayers, f.atol("logits"), f.rtol("logits"));
            assertTopIds(name + " lens", wantIds, wantValues, Arrays.copyOfRange(gotIds, rowSize, gotIds.length),
                    f.atol("logits"));
            float[] probs = out.get("lens.top_probs").toFloatArray();
            float[] fullLogits = out.get("logits").toFloatArray();
            int vocab = s.manifest().dims().vocab();
            float[] last = softmax(Compare.rows(fullLogits, seq - 1, seq, vocab));
            float lastRowTopProb = probs[(layers * seq + seq - 1) * 5];
            assertEquals(last[(int) gotIds[(layers * seq + seq - 1) * 5]], lastRowTopProb, 1e-6,
                    "the last lens row's probabilities are the model's own softmax");
        }
    }

    /**
     * The code fidelity's lens (the paper's code norms Hugging Face's hidden states, whose last one is already
     * normed): every row but the last is the once-normed lens bit for bit, so Hugging Face's top-5; the last row is
     * lm_head(norm(h)) for h = Hugging Face's last hidden state, computed here in double precision from the
     * checkpoint's final-norm weight and lm_head.
     */
    @ParameterizedTest
    @ValueSource(strings = {"llava-tiny", "llava-phi3-dev"})
    void codeLensNormsTheLastLayerTwice(String name) throws java.io.IOException {
        try (GoldenFixture f = GoldenFixture.load(name);
             ModelSession s = ModelSession.open(MODELS.get(name), Device.CPU, List.of())) {
            Map<String, NamedTensor> once = Forward.run(s, pixels(f), new long[][] {f.inputIds()}, List.of(),
                    new LensRequest(5, List.of()));
            Map<String, NamedTensor> twice = Forward.run(s, pixels(f), new long[][] {f.inputIds()}, List.of(),
                    new LensRequest(5, List.of(), true));
            int layers = s.manifest().dims().layers();
            int seq = f.inputIds().length;
            int rowSize = seq * 5;
            long[] onceIds = longs(once.get("lens.top_ids"));
            long[] twiceIds = longs(twice.get("lens.top_ids"));
            float[] onceValues = once.get("lens.top_logits").toFloatArray();
            float[] twiceValues = twice.get("lens.top_logits").toFloatArray();
            assertArrayEquals(Arrays.copyOf(onceIds, layers * rowSize), Arrays.copyOf(twiceIds, layers * rowSize));
            assertArrayEquals(Arrays.copyOf(onceValues, layers * rowSize), Arrays.copyOf(twiceValues, layers * rowSize));
            long[] wantIds = f.longs("logit_lens.top5_ids");
            float[] wantValues = f.floats("logit_lens.top5_values");
            // Golden layers 0..L-2 are lens rows 1..L-1.
            Compare.allClose("logit_lens.top5_values", Arrays.copyOf(wantValues, (layers - 1) * rowSize),
                    Compare.rows(twiceValues, 1, layers, rowSize), f.atol("logits"), f.rtol("logits"));
            assertTopIds(name + " code lens", Arrays.copyOf(wantIds, (layers - 1) * rowSize),
                    Arrays.copyOf(wantValues, (layers - 1) * rowSize),
                    Arrays.copyOfRange(twiceIds, rowSize, layers * rowSize), f.atol("logits"));

            int width = s.manifest().dims().dModel();
            float[] normedByHf = Compare.rows(f.floats("lm.hidden_states"), layers, layers + 1, seq * width);
            float[] weight;
            float[] unembed;
            try (SafetensorsFile ckpt = SafetensorsFile.open(f.checkpoint().resolve("model.safetensors"))) {
                weight = ckpt.toFloatArray("language_model.model.norm.weight");
                unembed = ckpt.toFloatArray("language_model.lm_head.weight");
            }
            double eps = new ObjectMapper().readTree(f.checkpoint().resolve("config.json").toFile())
                    .path("text_config").path("rms_norm_eps").asDouble();
            float[] wantLastValues = new float[rowSize];
            long[] wantLastIds = new long[rowSize];
            for (int p = 0; p < seq; p++) {
                double[] logits = normThenUnembed(Arrays.copyOfRange(normedByHf, p * width, (p + 1) * width), weight,
                        unembed, eps);
                int[] top = IntStream.range(0, logits.length).boxed()
                        .sorted((a, b) -> Double.compare(logits[b], logits[a])).limit(5).mapToInt(i -> i).toArray();
                for (int j = 0; j < 5; j++) {
                    wantLastIds[p * 5 + j] = top[j];
                    wantLastValues[p * 5 + j] = (float) logits[top[j]];
                }
            }
            float[] gotLast = Compare.rows(twiceValues, layers, layers + 1, rowSize);
            Compare.allClose("last lens row, normed twice", wantLastValues, gotLast, f.atol("logits"),
                    f.rtol("logits"));
            assertTopIds(name + " last code-lens row", wantLastIds, wantLastValues,
                    Arrays.copyOfRange(twiceIds, layers * rowSize, (layers + 1) * rowSize), f.atol("logits"));
            assertTrue(Compare.maxAbsDiff(Compare.rows(onceValues, layers, layers + 1, rowSize), gotLast)
                    > 100 * f.atol("logits"), "the second norm changes the last row");
        }
    }

    /** RMSNorm with {@code weight}, then the unembedding [vocab, width], in double precision. */
    private static double[] normThenUnembed(float[] x, float[] weight, float[] unembed, double eps) {
        double squares = 0;
        for (float v : x) {
            squares += (double) v * v;
        }
        double scale = 1 / Math.sqrt(squares / x.length + eps);
        double[] logits = new double[unembed.length / x.length];
        for (int t = 0; t < logits.length; t++) {
            double sum = 0;
            for (int j = 0; j < x.length; j++) {
                sum += weight[j] * x[j] * scale * unembed[t * x.length + j];
            }
            logits[t] = sum;
        }
        return logits;
    }

    /**
     * Top-k ids equal to the reference's, except where the reference's neighbouring values are closer than
     * {@code atol} (a near-tie fp32 noise may reorder).
     */
    static void assertTopIds(String what, long[] wantIds, float[] wantValues, long[] gotIds, double atol) {
        int exact = 0;
        int ambiguous = 0;
        for (int i = 0; i < wantIds.length; i++) {
            if (gotIds[i] == wantIds[i]) {
                exact++;
                continue;
            }
            int slot = i % 5;
            double gapBefore = slot > 0 ? wantValues[i - 1] - wantValues[i] : Double.POSITIVE_INFINITY;
            double gapAfter = slot < 4 ? wantValues[i] - wantValues[i + 1] : Double.POSITIVE_INFINITY;
            assertTrue(Math.min(gapBefore, gapAfter) < atol,
                    what + ": id differs at flat index " + i + " where the reference gap is " + Math.min(gapBefore, gapAfter));
            ambiguous++;
        }
        System.out.printf("%s: %d ids exact, %d swapped within near-ties%n", what, exact, ambiguous);
    }

    static NamedTensor pixels(GoldenFixture f) {
        return NamedTensor.ofFloats("pixel_values", new long[] {1, 3, 336, 336}, f.floats("pixel_values"));
    }

    /**
     * The fixture's prepared image as the runtime takes it: LLaVA's [1, 3, 336, 336], or Qwen2-VL's pixel rows with
     * the fixture's image_grid_thw.
     */
    static VisionInput vision(GoldenFixture f) {
        if (!f.expected.contains("image_grid_thw")) {
            return VisionInput.of(pixels(f));
        }
        long[] thw = f.longs("image_grid_thw");
        return new VisionInput(NamedTensor.ofFloats("pixel_values", f.expected.info("pixel_values").shape(),
                f.floats("pixel_values")), List.of(new ImageGrid((int) thw[0], (int) thw[1], (int) thw[2])));
    }

    static float[] lastPosition(NamedTensor logits) {
        int seq = (int) logits.shape()[1];
        int vocab = (int) logits.shape()[2];
        return Compare.rows(logits.toFloatArray(), seq - 1, seq, vocab);
    }

    static float[] softmax(float[] logits) {
        double max = Double.NEGATIVE_INFINITY;
        for (float v : logits) {
            max = Math.max(max, v);
        }
        double sum = 0;
        for (float v : logits) {
            sum += Math.exp(v - max);
        }
        float[] out = new float[logits.length];
        for (int i = 0; i < logits.length; i++) {
            out[i] = (float) (Math.exp(logits[i] - max) / sum);
        }
        return out;
    }

    static int[] ints(JsonNode array) {
        int[] out = new int[array.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = array.get(i).asInt();
        }
        return out;
    }

    static long[] longs(NamedTensor t) {
        LongBuffer b = t.data().duplicate().order(ByteOrder.LITTLE_ENDIAN).asLongBuffer();
        long[] out = new long[b.remaining()];
        b.get(out);
        return out;
    }
}
