package org.vlmscope.golden;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.vlmscope.core.SafetensorsWriter.NamedTensor;
import org.vlmscope.exporter.ExportOptions;
import org.vlmscope.exporter.Exporter;
import org.vlmscope.runtime.Device;
import org.vlmscope.runtime.Forward;
import org.vlmscope.runtime.Greedy;
import org.vlmscope.runtime.ModelSession;

/** Export each LLaVA golden checkpoint in fp32 and reproduce Hugging Face's tensors within the manifest tolerances. */
class ExportGoldenTest {
    @TempDir
    Path tmp;

    @ParameterizedTest
    @ValueSource(strings = {"llava-tiny", "llava-phi3-dev"})
    void fp32ExportReproducesHuggingFace(String fixtureName) {
        try (GoldenFixture f = GoldenFixture.load(fixtureName)) {
            Path model = tmp.resolve("model");
            Exporter.export(f.checkpoint(), model, ExportOptions.parse("fp32"));
            long[] ids = f.inputIds();
            NamedTensor px = NamedTensor.ofFloats("pixel_values", new long[] {1, 3, 336, 336}, f.floats("pixel_values"));
            try (ModelSession s = ModelSession.open(model, Device.CPU,
                    List.of("vision.hook_embed", "vision.blocks.*.hook_resid_post", "projector.hook_out",
                            "blocks.*.hook_resid_post", "blocks.0.hook_resid_pre"))) {
                Map<String, NamedTensor> out = Forward.run(s, px, new long[][] {ids});
                int seq = ids.length;
                int d = s.manifest().dims().dModel();
                int vocab = s.manifest().dims().vocab();
                int dv = s.manifest().dims().visionDModel();
                double va = f.atol("vision_and_projector");
                double vr = f.rtol("vision_and_projector");
                float[] visionHidden = f.floats("vision.hidden_states");
                int tokens = 577;
                Compare.allClose("vision.hook_embed", Compare.rows(visionHidden, 0, tokens, dv),
                        floats(out.get("vision.hook_embed")), va, vr);
                int computed = 0;
                for (int i = 0; out.containsKey("vision.blocks." + i + ".hook_resid_post"); i++) {
                    Compare.allClose("vision.blocks." + i, Compare.rows(visionHidden, (i + 1) * tokens, (i + 2) * tokens, dv),
                            floats(out.get("vision.blocks." + i + ".hook_resid_post")), va, vr);
                    computed++;
                }
                org.junit.jupiter.api.Assertions.assertTrue(computed >= 1, "vision layers exposed");
                Compare.allClose("projector.output", f.floats("projector.output"), floats(out.get("projector.hook_out")), va, vr);
                double ha = f.atol("hidden_states");
                double hr = f.rtol("hidden_states");
                Compare.allClose("lm.inputs_embeds", f.floats("lm.inputs_embeds"), floats(out.get("blocks.0.hook_resid_pre")), ha, hr);
                float[] layers = f.floats("lm.layer_outputs");
                int nLayers = s.manifest().dims().layers();
                for (int i = 0; i < nLayers; i++) {
                    Compare.allClose("blocks." + i + ".hook_resid_post", Compare.rows(layers, i * seq, (i + 1) * seq, d),
                            floats(out.get("blocks." + i + ".hook_resid_post")), ha, hr);
                }
                Compare.allClose("logits", f.floats("logits"), floats(out.get("logits")), f.atol("logits"), f.rtol("logits"));
                System.out.printf("%s fp32: max |logits diff| = %.3g%n", fixtureName,
                        Compare.maxAbsDiff(f.floats("logits"), floats(out.get("logits"))));

                Greedy.Generation g = Greedy.run(s, px, new long[][] {ids}, 10, Set.of());
                assertArrayEquals(f.longs("generate.ids"), g.tokens()[0], "greedy ids");
                float[] steps = f.floats("generate.step_logits");
                for (int k = 0; k < 10; k++) {
                    Compare.allClose("generate.step_logits[" + k + "]", Compare.rows(steps, k, k + 1, vocab),
                            g.stepLogits()[0][k], f.atol("logits"), f.rtol("logits"));
                }
            }
        }
    }

    static float[] floats(NamedTensor t) {
        java.nio.FloatBuffer fb = t.data().duplicate().order(java.nio.ByteOrder.LITTLE_ENDIAN).asFloatBuffer();
        float[] out = new float[fb.remaining()];
        fb.get(out);
        return out;
    }
}
