package org.vlmscope.golden;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.vlmscope.exporter.ExportOptions;
import org.vlmscope.exporter.Exporter;
import org.vlmscope.runtime.Device;
import org.vlmscope.runtime.IntegratedGradients;
import org.vlmscope.runtime.ModelSession;

/**
 * Integrated gradients computed inside ONNX Runtime (forward and appended backward graph) reproduce Hugging
 * Face's: right Riemann sum of 50 steps, the mean vector at the visual positions as baseline, target = the
 * manifest's token at the final position, signed sum over the hidden dimension.
 */
class IntegratedGradientsGoldenTest {
    @TempDir
    Path tmp;

    @ParameterizedTest
    @ValueSource(strings = {"llava-tiny", "llava-phi3-dev"})
    void scoresAndCompletenessMatchHuggingFace(String name) {
        try (GoldenFixture f = GoldenFixture.load(name)) {
            Path model = Exporter.export(f.checkpoint(), tmp.resolve("model"), ExportOptions.parse("fp32")).modelDir();
            JsonNode ig = f.manifest.path("integrated_gradients");
            JsonNode seq = f.manifest.path("sequence");
            int start = seq.path("visual_start").asInt();
            int end = seq.path("visual_end_exclusive").asInt();
            int[] visual = new int[end - start];
            java.util.Arrays.setAll(visual, i -> start + i);
            try (ModelSession s = ModelSession.open(model, Device.CPU, List.of())) {
                IntegratedGradients.Result r = IntegratedGradients.run(s, InterventionsGoldenTest.pixels(f), f.inputIds(),
                        new IntegratedGradients.Baseline(f.floats("ablation.mean_vector"), visual),
                        new IntegratedGradients.Target(ig.path("target_token").asLong(), null, -1),
                        new IntegratedGradients.Options(ig.path("steps").asInt(), IntegratedGradients.Rule.RIGHT,
                                IntegratedGradients.Reduce.SUM, 10));
                float[] scores = java.util.Arrays.copyOfRange(r.scores(), start, end);
                Compare.allClose("ig.scores", f.floats("ig.scores"), scores, f.atol("ig_scores"), f.rtol("ig_scores"));
                double logitsAtol = f.atol("logits");
                assertEquals(ig.path("f_input").asDouble(), r.fInput(), logitsAtol, "f(input)");
                assertEquals(ig.path("f_baseline").asDouble(), r.fBaseline(), logitsAtol, "f(baseline)");
                assertEquals(ig.path("sum_scores").asDouble(), r.sumAttributions(), f.atol("ig_scores") * end, "sum of scores");
                assertEquals(ig.path("completeness_gap").asDouble(), r.completenessGap(), 2 * logitsAtol, "completeness gap");
                System.out.printf("%s IG-50: max |score - HF| = %.3g, completeness gap %.4g (HF %.4g)%n", name,
                        Compare.maxAbsDiff(f.floats("ig.scores"), scores), r.completenessGap(),
                        ig.path("completeness_gap").asDouble());
            }
        }
    }
}
