package org.vlmscope.golden;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.vlmscope.core.BadArgumentException;
import org.vlmscope.core.SafetensorsWriter.NamedTensor;
import org.vlmscope.exporter.ExportOptions;
import org.vlmscope.exporter.Exporter;
import org.vlmscope.runtime.image.VisionInput;
import org.vlmscope.runtime.intervene.Intervention;
import org.vlmscope.runtime.intervene.LensRequest;
import org.vlmscope.runtime.attribution.IntegratedGradients;
import org.vlmscope.runtime.run.Forward;
import org.vlmscope.runtime.run.Greedy;
import org.vlmscope.runtime.run.ImageFeatures;
import org.vlmscope.runtime.run.PreparedPrompt;
import org.vlmscope.runtime.session.Device;
import org.vlmscope.runtime.session.ModelSession;

/**
 * The image computed once and reused for every condition gives, bit for bit, what a run from scratch gives: the
 * decoder sees the same embeddings (and, for Qwen2-VL, the same M-RoPE positions) and does the same arithmetic.
 * Conditions: clean, each ablation and knockout case of the llava-tiny and qwen2vl-dev fixtures and all of them
 * together, each with logits at every position and at the last one only, and the clean run with the lens.
 */
class PreparedPromptGoldenTest {
    @TempDir
    Path tmp;

    @ParameterizedTest
    @ValueSource(strings = {"llava-tiny", "qwen2vl-dev"})
    void everyConditionEqualsARunFromScratch(String fixture) {
        try (GoldenFixture f = GoldenFixture.load(fixture)) {
            Path model = Exporter.export(f.checkpoint(), tmp.resolve("model"), ExportOptions.parse("fp32")).modelDir();
            VisionInput pixels = InterventionsGoldenTest.vision(f);
            long[][] ids = {f.inputIds()};
            try (ModelSession s = ModelSession.open(model, Device.CPU,
                    List.of("projector.hook_out", "blocks.*.hook_resid_post"));
                 PreparedPrompt prepared = PreparedPrompt.of(s, pixels, ids)) {
                for (Map.Entry<String, List<Intervention>> c : conditions(f).entrySet()) {
                    for (Forward.Logits logits : Forward.Logits.values()) {
                        same(s, prepared, pixels, ids, c.getKey(), c.getValue(), null, logits);
                    }
                }
                same(s, prepared, pixels, ids, "clean", List.of(), new LensRequest(5, List.of(7L)), Forward.Logits.ALL);
            }
        }
    }

    /**
     * The image's features computed once serve every prompt about it: a prompt prepared from them, and a second
     * prompt with other text, give every condition's outputs (vision hooks included) bit for bit as runs from
     * scratch.
     */
    @Test
    void featuresComputedOnceServeEveryPromptAndCondition() {
        try (GoldenFixture f = GoldenFixture.load("llava-tiny")) {
            Path model = Exporter.export(f.checkpoint(), tmp.resolve("model"), ExportOptions.parse("fp32")).modelDir();
            NamedTensor pixels = InterventionsGoldenTest.pixels(f);
            try (ModelSession s = ModelSession.open(model, Device.CPU,
                    List.of("projector.hook_out", "blocks.*.hook_resid_post"))) {
                ImageFeatures image = ImageFeatures.of(s, pixels);
                for (long[][] ids : new long[][][] {{f.inputIds()}, {otherText(f.inputIds())}}) {
                    try (PreparedPrompt prepared = PreparedPrompt.of(s, image, ids)) {
                        for (Map.Entry<String, List<Intervention>> c : conditions(f).entrySet()) {
                            same(s, prepared, VisionInput.of(pixels), ids, c.getKey(), c.getValue(), null, Forward.Logits.LAST);
                        }
                    }
                }
            }
        }
    }

    /** Greedy decoding from the features equals greedy decoding from the pixels, tokens and every step's logits. */
    @Test
    void greedyFromTheFeaturesEqualsGreedyFromThePixels() {
        try (GoldenFixture f = GoldenFixture.load("llava-tiny")) {
            Path model = Exporter.export(f.checkpoint(), tmp.resolve("model"), ExportOptions.parse("fp32")).modelDir();
            NamedTensor pixels = InterventionsGoldenTest.pixels(f);
            long[][] ids = {f.inputIds()};
            try (ModelSession s = ModelSession.open(model, Device.CPU, List.of())) {
                ImageFeatures image = ImageFeatures.of(s, pixels);
                for (Map.Entry<String, List<Intervention>> c : conditions(f).entrySet()) {
                    Greedy.Generation scratch = Greedy.run(s, pixels, ids, 6, Set.of(), c.getValue());
                    Greedy.Generation reused = Greedy.run(s, image, ids, 6, Set.of(), List.of(c.getValue()));
                    assertArrayEquals(scratch.tokens()[0], reused.tokens()[0], c.getKey());
                    for (int k = 0; k < scratch.stepLogits()[0].length; k++) {
                        assertArrayEquals(scratch.stepLogits()[0][k], reused.stepLogits()[0][k], c.getKey() + " step " + k);
                    }
                }
            }
        }
    }

    /**
     * Conditions batched as rows of one prompt (one decoder call, one decoding) give each row what the condition
     * gives alone: the next token's logits and greedy decoding. The batched matrix products may sum in another
     * order, so logits agree within the fixture's fp32 tolerance and tokens exactly.
     */
    @Test
    void conditionsBatchedAsRowsEqualTheConditionsOneByOne() {
        try (GoldenFixture f = GoldenFixture.load("llava-tiny")) {
            Path model = Exporter.export(f.checkpoint(), tmp.resolve("model"), ExportOptions.parse("fp32")).modelDir();
            NamedTensor pixels = InterventionsGoldenTest.pixels(f);
            List<List<Intervention>> rows = new ArrayList<>(conditions(f).values());
            long[][] ids = new long[rows.size()][];
            java.util.Arrays.fill(ids, f.inputIds());
            int vocab = f.manifest.path("vocab_size").asInt();
            try (ModelSession s = ModelSession.open(model, Device.CPU, List.of())) {
                ImageFeatures image = ImageFeatures.of(s, pixels);
                float[] batched;
                try (PreparedPrompt prepared = PreparedPrompt.of(s, image, ids)) {
                    batched = prepared.runRows(rows, Forward.Logits.LAST).get("logits").toFloatArray();
                }
                Greedy.Generation decoded = Greedy.run(s, image, ids, 6, Set.of(), rows);
                for (int b = 0; b < rows.size(); b++) {
                    float[] alone = Forward.run(s, pixels, new long[][] {f.inputIds()}, rows.get(b), null,
                            Forward.Logits.LAST).get("logits").toFloatArray();
                    float[] row = java.util.Arrays.copyOfRange(batched, b * vocab, (b + 1) * vocab);
                    Compare.allClose("row " + b, alone, row, f.atol("logits"), f.rtol("logits"));
                    assertEquals(ExperimentGoldenTest.argmax(alone), ExperimentGoldenTest.argmax(row), "row " + b);
                    Greedy.Generation single = Greedy.run(s, pixels, new long[][] {f.inputIds()}, 6, Set.of(),
                            rows.get(b));
                    assertArrayEquals(single.tokens()[0], decoded.tokens()[b], "decoding, row " + b);
                }
            }
        }
    }

    /** Integrated gradients from a prepared prompt equal those computed from the pixels, bit for bit. */
    @Test
    void integratedGradientsFromAPreparedPromptEqualThoseFromThePixels() {
        try (GoldenFixture f = GoldenFixture.load("llava-tiny")) {
            Path model = Exporter.export(f.checkpoint(), tmp.resolve("model"), ExportOptions.parse("fp32")).modelDir();
            NamedTensor pixels = InterventionsGoldenTest.pixels(f);
            float[] mean = f.floats("ablation.mean_vector");
            var baseline = new IntegratedGradients.Baseline(mean, java.util.stream.IntStream.range(4, 580).toArray());
            var target = new IntegratedGradients.Target(f.manifest.path("target_token").path("id").asLong(), null, -1);
            var options = new IntegratedGradients.Options(4, IntegratedGradients.Rule.LINSPACE,
                    IntegratedGradients.Reduce.ABSSUM, 2);
            try (ModelSession s = ModelSession.open(model, Device.CPU, List.of());
                 PreparedPrompt prepared = PreparedPrompt.of(s, ImageFeatures.of(s, pixels),
                         new long[][] {f.inputIds()})) {
                IntegratedGradients.Result scratch = IntegratedGradients.run(s, pixels, f.inputIds(), baseline, target,
                        options);
                IntegratedGradients.Result reused = IntegratedGradients.run(s, prepared, baseline, target, options);
                assertArrayEquals(scratch.scores(), reused.scores());
                assertEquals(scratch.fInput(), reused.fInput());
            }
        }
    }

    /** The fixture's prompt with its last text token replaced: another prompt about the same image. */
    private static long[] otherText(long[] ids) {
        long[] other = ids.clone();
        other[other.length - 1] = (other[other.length - 1] + 1) % 1000;
        return other;
    }

    private static void same(ModelSession s, PreparedPrompt prepared, VisionInput pixels, long[][] ids, String name,
                             List<Intervention> condition, LensRequest lens, Forward.Logits logits) {
        String what = name + (lens == null ? "" : " + lens") + ", logits " + logits;
        Map<String, NamedTensor> reused = prepared.run(condition, lens, logits);
        Map<String, NamedTensor> scratch = Forward.run(s, pixels, ids, condition, lens, logits);
        assertEquals(scratch.keySet(), reused.keySet(), what);
        for (String tensor : scratch.keySet()) {
            assertEquals(scratch.get(tensor).data(), reused.get(tensor).data(), what + ": " + tensor);
        }
    }

    /**
     * A knockout in layers k and later, run from the clean residual stream kept at layer k, gives what the whole
     * decoder gives: the logits and the hooks of layers k and later, bit for bit (the same arithmetic on the same
     * inputs), and no hook of an earlier layer. Each fixture knockout case is moved to every start layer.
     */
    @Test
    void aKnockoutRunFromAKeptResidualEqualsTheWholeDecoder() {
        try (GoldenFixture f = GoldenFixture.load("llava-tiny")) {
            Path model = Exporter.export(f.checkpoint(), tmp.resolve("model"), ExportOptions.parse("fp32")).modelDir();
            NamedTensor pixels = InterventionsGoldenTest.pixels(f);
            try (ModelSession s = ModelSession.open(model, Device.CPU, List.of("blocks.*.hook_resid_post"));
                 PreparedPrompt prepared = PreparedPrompt.of(s, pixels, new long[][] {f.inputIds()})) {
                int depth = s.manifest().dims().layers();
                int[] starts = java.util.stream.IntStream.range(1, depth).toArray();
                Map<String, NamedTensor> clean = prepared.runKeeping(Forward.Logits.ALL, starts);
                assertEquals(prepared.run(List.of(), null, Forward.Logits.ALL).keySet(), clean.keySet());
                for (int start : starts) {
                    for (JsonNode c : f.manifest.path("knockout").path("cases")) {
                        int[] layers = java.util.stream.IntStream.range(start, depth).toArray();
                        var k = List.<Intervention>of(new Intervention.Knockout(
                                InterventionsGoldenTest.ints(c.path("key_positions")),
                                new int[] {c.path("query_position").asInt()}, layers));
                        for (Forward.Logits logits : Forward.Logits.values()) {
                            String what = c.path("name").asText() + " from layer " + start + ", logits " + logits;
                            Map<String, NamedTensor> whole = prepared.run(k, null, logits);
                            Map<String, NamedTensor> cut = prepared.runFrom(start, k, logits);
                            for (String tensor : whole.keySet()) {
                                Integer layer = layerOf(tensor);
                                if (layer != null && layer < start) {
                                    assertEquals(false, cut.containsKey(tensor), what + ": " + tensor);
                                } else {
                                    assertEquals(whole.get(tensor).data(), cut.get(tensor).data(), what + ": " + tensor);
                                }
                            }
                        }
                    }
                }
                var early = new Intervention.Knockout(new int[] {5}, new int[] {f.inputIds().length - 1}, new int[] {0, 1});
                var e = assertThrows(BadArgumentException.class,
                        () -> prepared.runFrom(1, List.of(early), Forward.Logits.LAST));
                assertEquals(true, e.getMessage().contains("layers 1 and later"), e.getMessage());
                var zero = assertThrows(BadArgumentException.class, () -> prepared.runKeeping(Forward.Logits.LAST, 0));
                assertEquals(true, zero.getMessage().contains("a plain run"), zero.getMessage());
                var notKept = assertThrows(BadArgumentException.class, () -> prepared.runFrom(depth, List.of(),
                        Forward.Logits.LAST));
                assertEquals(true, notKept.getMessage().contains("no residual stream was kept"), notKept.getMessage());
            }
        }
    }

    private static Integer layerOf(String hook) {
        var m = org.vlmscope.core.vocab.HookName.LAYER_INDEX.matcher(hook);
        return m.matches() && m.group(1).equals("blocks.") ? Integer.valueOf(m.group(2)) : null;
    }

    @Test
    void aPatchOfTheVisionTowerIsRefused() {
        try (GoldenFixture f = GoldenFixture.load("llava-tiny")) {
            Path model = Exporter.export(f.checkpoint(), tmp.resolve("model"), ExportOptions.parse("fp32")).modelDir();
            try (ModelSession s = ModelSession.open(model, Device.CPU, List.of());
                 PreparedPrompt prepared = PreparedPrompt.of(s, InterventionsGoldenTest.pixels(f), new long[][] {f.inputIds()})) {
                var patch = new Intervention.HookPatch("projector.hook_out", new int[] {0}, new float[64]);
                var e = assertThrows(BadArgumentException.class, () -> prepared.run(List.of(patch), null, Forward.Logits.ALL));
                assertEquals(true, e.getMessage().contains("projector.hook_out"), e.getMessage());
                ImageFeatures image = ImageFeatures.of(s, InterventionsGoldenTest.pixels(f));
                var fromFeatures = assertThrows(BadArgumentException.class, () -> Greedy.run(s, image,
                        new long[][] {f.inputIds()}, 2, Set.of(), List.of(List.of(patch))));
                assertEquals(true, fromFeatures.getMessage().contains("projector.hook_out"), fromFeatures.getMessage());
            }
        }
    }

    private static Map<String, List<Intervention>> conditions(GoldenFixture f) {
        Map<String, List<Intervention>> out = new LinkedHashMap<>();
        out.put("clean", List.of());
        float[] mean = f.floats("ablation.mean_vector");
        for (JsonNode c : f.manifest.path("ablation").path("cases")) {
            out.put("ablation " + c.path("name").asText(),
                    List.of(new Intervention.Ablation(InterventionsGoldenTest.ints(c.path("sequence_positions")), mean)));
        }
        List<Intervention> both = new ArrayList<>();
        for (JsonNode c : f.manifest.path("knockout").path("cases")) {
            var k = new Intervention.Knockout(InterventionsGoldenTest.ints(c.path("key_positions")),
                    new int[] {c.path("query_position").asInt()}, InterventionsGoldenTest.ints(c.path("layers")));
            out.put("knockout " + c.path("name").asText(), List.of(k));
            both.add(k);
        }
        both.add(new Intervention.Ablation(InterventionsGoldenTest.ints(
                f.manifest.path("ablation").path("cases").get(0).path("sequence_positions")), mean));
        out.put("knockouts and an ablation", both);
        return out;
    }
}
