package org.vlmscope.golden;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.onnxruntime.OrtException;
import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.vlmscope.core.SafetensorsWriter.NamedTensor;
import org.vlmscope.exporter.ExportOptions;
import org.vlmscope.exporter.Exporter;
import org.vlmscope.graph.passes.SurgeryLog;
import org.vlmscope.runtime.session.Device;
import org.vlmscope.runtime.run.Forward;
import org.vlmscope.runtime.run.Greedy;
import org.vlmscope.runtime.session.ModelSession;

/**
 * Export each LLaVA golden checkpoint and reproduce Hugging Face's tensors: vision hidden states, projector
 * output, LM input embeddings, every layer's residual stream, logits at all positions, and 10 greedy steps
 * with the KV cache. fp32 within the manifest tolerances, fp16 within the tolerance derived in {@link Tolerance} (the
 * CPU session sums fp16 products in float32, {@link org.vlmscope.graph.passes.AccumulateInFloat32}).
 */
class ExportGoldenTest {
    @TempDir
    Path tmp;

    @ParameterizedTest(name = "{0} {1}")
    @CsvSource({"llava-tiny, fp32", "llava-phi3-dev, fp32", "llava-tiny, fp16", "llava-phi3-dev, fp16"})
    void exportReproducesHuggingFace(String fixtureName, String dtype) {
        boolean fp16 = dtype.equals("fp16");
        try (GoldenFixture f = GoldenFixture.load(fixtureName)) {
            Path model = tmp.resolve("model");
            Exporter.export(f.checkpoint(), model, ExportOptions.parse(dtype));
            long[] ids = f.inputIds();
            NamedTensor px = NamedTensor.ofFloats("pixel_values", new long[] {1, 3, 336, 336}, f.floats("pixel_values"));
            JsonNode noise = f.manifest.path("fp32_noise_vs_fp64");
            try (ModelSession s = ModelSession.open(model, Device.CPU,
                    List.of("vision.hook_embed", "vision.blocks.*.hook_resid_post", "projector.hook_out",
                            "blocks.*.hook_resid_post", "blocks.0.hook_resid_pre"))) {
                Map<String, NamedTensor> out = Forward.run(s, px, new long[][] {ids});
                var dims = s.manifest().dims();
                int seq = ids.length;
                int tokens = dims.visualTokens() + 1;
                int visionLayers = 0;
                while (out.containsKey("vision.blocks." + visionLayers + ".hook_resid_post")) {
                    visionLayers++;
                }
                assertEquals(f.manifest.path("vision").path("selected_index_in_vision_hidden_states").asInt(), visionLayers,
                        "vision layers computed up to the selected feature layer");

                double visionScale = noise.path("vision_scale").asDouble();
                float[] visionHidden = f.floats("vision.hidden_states");
                for (int i = 0; i <= visionLayers; i++) {
                    String hook = i == 0 ? "vision.hook_embed" : "vision.blocks." + (i - 1) + ".hook_resid_post";
                    Tolerance t = fp16 ? Tolerance.fp16(Math.max(i, 1), visionScale) : Tolerance.fp32(f, "vision_and_projector");
                    Compare.allClose(hook, Compare.rows(visionHidden, i * tokens, (i + 1) * tokens, dims.visionDModel()),
                            out.get(hook).toFloatArray(), t.atol(), t.rtol());
                }
                int projectorBlocks = visionLayers + 1;
                Tolerance proj = fp16 ? Tolerance.fp16(projectorBlocks, visionScale) : Tolerance.fp32(f, "vision_and_projector");
                Compare.allClose("projector.output", f.floats("projector.output"), out.get("projector.hook_out").toFloatArray(),
                        proj.atol(), proj.rtol());

                double hiddenScale = noise.path("hidden_scale").asDouble();
                Tolerance embeds = fp16 ? Tolerance.fp16(projectorBlocks, hiddenScale) : Tolerance.fp32(f, "hidden_states");
                Compare.allClose("lm.inputs_embeds", f.floats("lm.inputs_embeds"), out.get("blocks.0.hook_resid_pre").toFloatArray(),
                        embeds.atol(), embeds.rtol());
                float[] layers = f.floats("lm.layer_outputs");
                for (int i = 0; i < dims.layers(); i++) {
                    Tolerance t = fp16 ? Tolerance.fp16(projectorBlocks + i + 1, hiddenScale) : Tolerance.fp32(f, "hidden_states");
                    Compare.allClose("blocks." + i + ".hook_resid_post", Compare.rows(layers, i * seq, (i + 1) * seq, dims.dModel()),
                            out.get("blocks." + i + ".hook_resid_post").toFloatArray(), t.atol(), t.rtol());
                }
                Tolerance logitsTol = fp16 ? Tolerance.fp16(projectorBlocks + dims.layers(), noise.path("logits_scale").asDouble())
                        : Tolerance.fp32(f, "logits");
                float[] logits = out.get("logits").toFloatArray();
                Compare.allClose("logits", f.floats("logits"), logits, logitsTol.atol(), logitsTol.rtol());
                System.out.printf("%s %s: max |logits - HF| = %.3g (atol %.3g)%n", fixtureName, dtype,
                        Compare.maxAbsDiff(f.floats("logits"), logits), logitsTol.atol());

                checkGreedy(f, s, px, ids, logitsTol, fp16);
                assertEquals(fp16, surgery(s, "decoder").contains("accumulate_in_float32"),
                        "the CPU session sums fp16 products in float32, as CUDA does; fp32 graphs are left alone");
            }
        }
    }

    /** The surgery log ONNX Runtime reads from the graph the session opened. */
    private static String surgery(ModelSession s, String graph) {
        try {
            return s.variant(graph, List.of()).getMetadata().getCustomMetadata()
                    .getOrDefault(SurgeryLog.METADATA_KEY, "");
        } catch (OrtException e) {
            throw new IllegalStateException(e);
        }
    }

    /**
     * fp32: all 10 ids exactly and every step's logits. fp16: the steps before the first one whose top-1/top-2
     * margin in the reference is under twice the logits tolerance, where the greedy choice is decided by more
     * than the rounding allowance.
     */
    private static void checkGreedy(GoldenFixture f, ModelSession s, NamedTensor px, long[] ids, Tolerance tol,
                                    boolean fp16) {
        long[] expectedIds = f.longs("generate.ids");
        int decided = expectedIds.length;
        if (fp16) {
            JsonNode margins = f.manifest.path("generation").path("top1_top2_margins");
            decided = 0;
            while (decided < expectedIds.length && margins.get(decided).asDouble() > 2 * tol.atol()) {
                decided++;
            }
            assertTrue(decided >= 1, "the first greedy step is decided by a margin above the fp16 tolerance");
        }
        Greedy.Generation g = Greedy.run(s, px, new long[][] {ids}, expectedIds.length, Set.of());
        assertArrayEquals(java.util.Arrays.copyOf(expectedIds, decided), java.util.Arrays.copyOf(g.tokens()[0], decided),
                "greedy ids");
        float[] steps = f.floats("generate.step_logits");
        int vocab = s.manifest().dims().vocab();
        for (int k = 0; k < decided; k++) {
            Compare.allClose("generate.step_logits[" + k + "]", Compare.rows(steps, k, k + 1, vocab),
                    g.stepLogits()[0][k], tol.atol(), tol.rtol());
        }
    }
}
