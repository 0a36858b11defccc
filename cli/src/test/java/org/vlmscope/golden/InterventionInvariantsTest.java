package org.vlmscope.golden;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.vlmscope.core.SafetensorsWriter.NamedTensor;
import org.vlmscope.exporter.ExportOptions;
import org.vlmscope.exporter.Exporter;
import org.vlmscope.runtime.session.Device;
import org.vlmscope.runtime.run.Forward;
import org.vlmscope.runtime.run.Greedy;
import org.vlmscope.runtime.intervene.Intervention;
import org.vlmscope.runtime.session.ModelSession;

/** Properties of interventions that need no reference: identity patches and the KV cache under knockout. */
class InterventionInvariantsTest {
    @TempDir
    static Path tmp;
    static Path model;
    static GoldenFixture fixture;

    @BeforeAll
    static void export() {
        fixture = GoldenFixture.load("llava-tiny");
        model = Exporter.export(fixture.checkpoint(), tmp.resolve("model"), ExportOptions.parse("fp32")).modelDir();
    }

    @AfterAll
    static void close() {
        fixture.close();
    }

    /** h + 1 * (h - h) is h exactly: patching hooks with their own clean values changes no output bit. */
    @Test
    void patchingHooksWithTheirCleanValuesChangesNothing() {
        List<String> hooks = List.of("blocks.0.hook_resid_pre", "blocks.1.hook_resid_mid", "blocks.2.attn.hook_q",
                "blocks.3.hook_mlp_out");
        long[][] ids = {fixture.inputIds()};
        NamedTensor px = InterventionsGoldenTest.pixels(fixture);
        try (ModelSession s = ModelSession.open(model, Device.CPU, hooks)) {
            Map<String, NamedTensor> clean = Forward.run(s, px, ids);
            int seq = ids[0].length;
            int[] all = new int[seq];
            Arrays.setAll(all, i -> i);
            List<Intervention> patches = hooks.stream().<Intervention>map(h ->
                    new Intervention.HookPatch(h, all, clean.get(h).toFloatArray())).toList();
            Map<String, NamedTensor> patched = Forward.run(s, px, ids, patches, null);
            for (String name : clean.keySet()) {
                assertArrayEquals(clean.get(name).toFloatArray(), patched.get(name).toFloatArray(), name);
            }
        }
    }

    /**
     * Greedy decoding under a knockout with the KV cache (prefill, then one token per step) gives the same
     * step logits as recomputing the whole sequence under the same knockout at every step. The knockout's query
     * positions include generated positions, so decode steps carry a bias of their own.
     */
    @Test
    void knockoutWithKvCacheEqualsKnockoutWithoutCache() {
        long[] prompt = fixture.inputIds();
        int last = prompt.length - 1;
        int[] region = InterventionsGoldenTest.ints(fixture.manifest.path("knockout").path("cases").get(1).path("key_positions"));
        var knockout = new Intervention.Knockout(region, new int[] {last, last + 1, last + 3}, new int[] {0, 1, 2, 3});
        NamedTensor px = InterventionsGoldenTest.pixels(fixture);
        int steps = 5;
        try (ModelSession s = ModelSession.open(model, Device.CPU, List.of())) {
            Greedy.Generation cached = Greedy.run(s, px, new long[][] {prompt}, steps, Set.of(), List.of(knockout));
            long[] sequence = prompt;
            for (int k = 0; k < steps; k++) {
                int length = sequence.length;
                // Without the cache the whole sequence is recomputed; only positions that exist yet can be named.
                var existing = new Intervention.Knockout(knockout.from(),
                        Arrays.stream(knockout.to()).filter(p -> p < length).toArray(), knockout.layers());
                float[] full = InterventionsGoldenTest.lastPosition(
                        Forward.run(s, px, new long[][] {sequence}, List.of(existing), null).get("logits"));
                Compare.allClose("step " + k, full, cached.stepLogits()[0][k], fixture.atol("logits"), fixture.rtol("logits"));
                if (k == 1) {
                    // The decode-step bias matters: without blocking the new query the logits differ.
                    var promptOnly = new Intervention.Knockout(knockout.from(), new int[] {last}, knockout.layers());
                    float[] unblocked = InterventionsGoldenTest.lastPosition(
                            Forward.run(s, px, new long[][] {sequence}, List.of(promptOnly), null).get("logits"));
                    org.junit.jupiter.api.Assertions.assertTrue(Compare.maxAbsDiff(full, unblocked) > 100 * fixture.atol("logits"),
                            "blocking the generated query changes its logits");
                }
                sequence = Arrays.copyOf(sequence, sequence.length + 1);
                sequence[sequence.length - 1] = cached.tokens()[0][k];
            }
        }
    }
}
