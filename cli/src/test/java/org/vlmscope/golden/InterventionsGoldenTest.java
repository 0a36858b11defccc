package org.vlmscope.golden;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.ByteOrder;
import java.nio.LongBuffer;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
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
            int exact = 0;
            int ambiguous = 0;
            for (int i = 0; i < wantIds.length; i++) {
                long got = gotIds[rowSize + i];
                if (got == wantIds[i]) {
                    exact++;
                    continue;
                }
                // A different id is acceptable only where the reference's neighbouring values are closer than the tolerance.
                int slot = i % 5;
                double gapBefore = slot > 0 ? wantValues[i - 1] - wantValues[i] : Double.POSITIVE_INFINITY;
                double gapAfter = slot < 4 ? wantValues[i] - wantValues[i + 1] : Double.POSITIVE_INFINITY;
                assertTrue(Math.min(gapBefore, gapAfter) < f.atol("logits"),
                        "lens id differs at flat index " + i + " where the reference gap is " + Math.min(gapBefore, gapAfter));
                ambiguous++;
            }
            System.out.printf("%s lens: %d ids exact, %d swapped within near-ties%n", name, exact, ambiguous);
            float[] probs = out.get("lens.top_probs").toFloatArray();
            float[] fullLogits = out.get("logits").toFloatArray();
            int vocab = s.manifest().dims().vocab();
            float[] last = softmax(Compare.rows(fullLogits, seq - 1, seq, vocab));
            float lastRowTopProb = probs[(layers * seq + seq - 1) * 5];
            assertEquals(last[(int) gotIds[(layers * seq + seq - 1) * 5]], lastRowTopProb, 1e-6,
                    "the last lens row's probabilities are the model's own softmax");
        }
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
