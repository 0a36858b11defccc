package org.vlmscope.golden;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.vlmscope.experiments.dataset.DatasetRecord;
import org.vlmscope.experiments.records.AblationRecord;
import org.vlmscope.experiments.records.KnockoutRecord;
import org.vlmscope.experiments.run.AblationRunner;
import org.vlmscope.experiments.run.AblationTask;
import org.vlmscope.experiments.run.ExperimentModel;
import org.vlmscope.experiments.run.KnockoutRunner;
import org.vlmscope.experiments.run.KnockoutScenario;
import org.vlmscope.experiments.run.LayerWindow;
import org.vlmscope.experiments.run.ObjectToken;
import org.vlmscope.exporter.ExportOptions;
import org.vlmscope.exporter.Exporter;
import org.vlmscope.runtime.image.VisionInput;
import org.vlmscope.runtime.run.ImageFeatures;
import org.vlmscope.runtime.session.Device;
import org.vlmscope.runtime.text.PromptTemplates.Fidelity;
import org.vlmscope.runtime.text.Sequence;

/**
 * One ablation record and one knockout record of the experiment runners on llava-tiny, checked against the
 * logits Hugging Face computed for the same intervention (manifest.json's ablation and knockout cases): the
 * runner's answers are the argmax of the reference logits and its probabilities the reference softmax. The
 * fixture has no tokenizer, so the test gives the model a word-level one ("t0".."t1023") and the runners the
 * fixture's own ids; the "object" is the fixture's target token.
 */
class ExperimentGoldenTest {
    @TempDir
    Path tmp;

    @Test
    void ablationAndKnockoutRecordsAgreeWithTheReferenceLogits() throws IOException {
        try (GoldenFixture f = GoldenFixture.load("llava-tiny")) {
            Path model = Exporter.export(f.checkpoint(), tmp.resolve("model"), ExportOptions.parse("fp32")).modelDir();
            writeWordLevelTokenizer(model.resolve("tokenizer.json"), f.manifest.path("vocab_size").asInt());
            long target = f.manifest.path("target_token").path("id").asLong();
            ObjectToken object = new ObjectToken("t" + target, target, "t" + target, "t" + target);
            Sequence seq = new Sequence(f.inputIds(), 4, 576, 24);
            var pixels = VisionInput.of(InterventionsGoldenTest.pixels(f));
            try (ExperimentModel m = ExperimentModel.open(model, Device.CPU, 1, Fidelity.PAPER)) {
                // The runner's path: the image's features computed once, the cases batched as rows of one call.
                ImageFeatures features = ImageFeatures.of(m.session(), pixels);
                AblationTask.Prompt prompt = new AblationTask.Prompt(AblationTask.VQA, seq, "", object, 0, 1);
                AblationTask.Outcome baseline = AblationTask.answers(m, features, prompt, List.of(List.of()), 1).get(0);
                assertEquals(List.of(target), baseline.answer().tokenIds());
                assertTrue(baseline.correct());
                float[] mean = f.floats("ablation.mean_vector");
                List<String> names = new ArrayList<>();
                List<int[]> visual = new ArrayList<>();
                for (JsonNode c : f.manifest.path("ablation").path("cases")) {
                    names.add(c.path("name").asText());
                    visual.add(ints(c.path("visual_indices")));
                }
                List<AblationRecord> ablated = AblationRunner.ablate(m, features, prompt, "golden", object.object(),
                        names, visual, mean, baseline, 10);
                for (int i = 0; i < names.size(); i++) {
                    JsonNode c = f.manifest.path("ablation").path("cases").get(i);
                    float[] reference = f.floats(c.path("tensor").asText());
                    int argmax = argmax(reference);
                    assertTrue(margin(reference, argmax) > 4 * f.atol("logits"),
                            "the reference's top two are too close");
                    AblationRecord r = ablated.get(i);
                    assertEquals(names.get(i), r.set());
                    assertEquals(visual.get(i).length, r.nTokens());
                    assertEquals(List.of((long) argmax), r.ablatedAnswer().tokenIds(), names.get(i));
                    assertEquals(argmax == target, r.ablatedCorrect());
                }

                JsonNode region = caseNamed(f.manifest.path("knockout").path("cases"), "region_all_layers");
                int[] cells = IntStream.of(ints(region.path("key_positions"))).map(p -> p - 4).toArray();
                DatasetRecord image = new DatasetRecord(1, "golden.png", 480, 360, true, null, null, null, "t" + target,
                        null, new int[] {60, 0, 360}, 24, "paper", cells, cells, cells);
                int layers = f.manifest.path("num_layers").asInt();
                List<KnockoutRecord> records = KnockoutRunner.measure(m, pixels, seq, "golden", image, object,
                        List.of(new KnockoutRunner.Cell(KnockoutScenario.O_LAST,
                                new LayerWindow("all", 0, layers - 1))));
                KnockoutRecord k = records.get(0);
                assertEquals(ints(region.path("layers")).length, layers);
                assertEquals(region.path("query_position").asInt(), seq.lastPosition());
                assertEquals(cells.length, k.nFrom());
                assertEquals(f.manifest.path("target_token").path("clean_prob").asDouble(), k.pBefore(),
                        f.atol("target_prob"));
                assertEquals(region.path("target_prob").asDouble(), k.pAfter(), f.atol("target_prob"));
                float[] knocked = f.floats("knockout.region_all_layers.final_logits");
                assertEquals(List.of((long) argmax(knocked)), k.knockedAnswer().tokenIds());
                assertFalse(k.pBefore() == k.pAfter());
            }
        }
    }

    /** A tokenizer.json whose vocabulary is the words t0..t{n-1}, ids in order, split on whitespace. */
    private static void writeWordLevelTokenizer(Path file, int n) throws IOException {
        StringBuilder vocab = new StringBuilder();
        for (int i = 0; i < n; i++) {
            vocab.append(i == 0 ? "" : ",").append("\"t").append(i).append("\":").append(i);
        }
        Files.writeString(file, "{\"version\":\"1.0\",\"truncation\":null,\"padding\":null,\"added_tokens\":[],"
                + "\"normalizer\":null,\"pre_tokenizer\":{\"type\":\"WhitespaceSplit\"},\"post_processor\":null,"
                + "\"decoder\":null,\"model\":{\"type\":\"WordLevel\",\"vocab\":{" + vocab
                + "},\"unk_token\":\"t0\"}}");
    }

    private static JsonNode caseNamed(JsonNode cases, String name) {
        for (JsonNode c : cases) {
            if (c.path("name").asText().equals(name)) {
                return c;
            }
        }
        throw new AssertionError("no case " + name);
    }

    static int argmax(float[] v) {
        int best = 0;
        for (int i = 1; i < v.length; i++) {
            if (v[i] > v[best]) {
                best = i;
            }
        }
        return best;
    }

    private static double margin(float[] v, int best) {
        double second = Double.NEGATIVE_INFINITY;
        for (int i = 0; i < v.length; i++) {
            if (i != best) {
                second = Math.max(second, v[i]);
            }
        }
        return v[best] - second;
    }

    private static int[] ints(JsonNode array) {
        int[] out = new int[array.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = array.get(i).asInt();
        }
        return out;
    }
}
