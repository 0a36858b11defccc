package org.vlmscope.golden;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.vlmscope.core.VlmscopeException;
import org.vlmscope.exporter.ExportOptions;
import org.vlmscope.exporter.Exporter;
import org.vlmscope.runtime.session.Device;
import org.vlmscope.runtime.attribution.IntegratedGradients;
import org.vlmscope.runtime.session.ModelSession;

/** Wrong gradient inputs get messages that name what is wrong. */
class GradientInputsTest {
    @TempDir
    Path tmp;

    @Test
    void aSeedOfTheWrongShapeIsNamed() throws Exception {
        try (GoldenFixture f = GoldenFixture.load("llava-tiny")) {
            Path model = Exporter.export(f.checkpoint(), tmp.resolve("model"), ExportOptions.parse("fp32")).modelDir();
            try (ModelSession s = ModelSession.open(model, Device.CPU, List.of())) {
                var env = s.env();
                int vocab = s.manifest().dims().vocab();
                int d = s.manifest().dims().dModel();
                var inputs = new java.util.HashMap<String, ai.onnxruntime.OnnxTensor>();
                inputs.put("inputs_embeds", ai.onnxruntime.OnnxTensor.createTensor(env, new float[1][3][d]));
                inputs.put("attention_mask", ai.onnxruntime.OnnxTensor.createTensor(env, new long[][] {{1, 1, 1}}));
                inputs.put("position_ids", ai.onnxruntime.OnnxTensor.createTensor(env, new long[][] {{0, 1, 2}}));
                for (int i = 0; i < s.manifest().dims().layers(); i++) {
                    for (String kv : List.of("key", "value")) {
                        inputs.put("past_key_values." + i + "." + kv, ai.onnxruntime.OnnxTensor.createTensor(env,
                                java.nio.FloatBuffer.allocate(0), new long[] {1, s.manifest().dims().kvHeads(), 0,
                                        s.manifest().dims().headDim()}));
                    }
                }
                inputs.put("grad.seed", ai.onnxruntime.OnnxTensor.createTensor(env, new float[1][3][vocab - 1]));
                var e = assertThrows(VlmscopeException.class, () ->
                        s.run("decoder", List.of(new org.vlmscope.graph.passes.Gradient("inputs_embeds")), inputs).close());
                assertTrue(e.getMessage().contains("grad.seed"), e.getMessage());
                inputs.values().forEach(ai.onnxruntime.OnnxTensor::close);
            }
        }
    }

    @Test
    void aTargetOutsideTheVocabularyIsNamed() {
        try (GoldenFixture f = GoldenFixture.load("llava-tiny")) {
            Path model = Exporter.export(f.checkpoint(), tmp.resolve("model"), ExportOptions.parse("fp32")).modelDir();
            try (ModelSession s = ModelSession.open(model, Device.CPU, List.of())) {
                var e = assertThrows(VlmscopeException.class, () -> IntegratedGradients.run(s,
                        InterventionsGoldenTest.pixels(f), f.inputIds(), new IntegratedGradients.Baseline(new float[64], null),
                        new IntegratedGradients.Target(5000, null, -1),
                        new IntegratedGradients.Options(2, IntegratedGradients.Rule.RIGHT, IntegratedGradients.Reduce.SUM, 2)));
                assertTrue(e.getMessage().contains("target token 5000"), e.getMessage());
            }
        }
    }
}
