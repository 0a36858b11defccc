package org.vlmscope.runtime.foreign;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.vlmscope.graph.passes.AttentionBias;
import org.vlmscope.graph.passes.Expose;
import org.vlmscope.graph.passes.Gradient;
import org.vlmscope.graph.passes.LogitLens;
import org.vlmscope.graph.passes.Pass;
import org.vlmscope.graph.passes.Patch;

/**
 * The PyTorch exports of testdata/foreign, hooks located, run in ONNX Runtime against the references PyTorch
 * computed with the same modules (make_foreign.py), and against vlmscope's own export of the same weights.
 * Tolerance: both sides compute in float32 with activations of order 1-5; the largest difference seen on this
 * machine is 3e-6 (ONNX Runtime and PyTorch sum in different orders), so 3e-5 leaves room for other CPUs while a
 * wrong hook (another layer, a tensor before the norm) is off by far more.
 */
class ForeignGraphRunTest {
    private static final double TOL = 3e-5;

    @TempDir
    Path tmp;

    @Test
    void llamaResidualStreamsPatternsAndLogitsMatchPyTorch() throws OrtException {
        residualStreams(ForeignModel.llama());
    }

    @Test
    void phi3ResidualStreamsPatternsAndLogitsMatchPyTorch() throws OrtException {
        residualStreams(ForeignModel.phi3());
    }

    private static void residualStreams(ForeignModel m) throws OrtException {
        List<String> outputs = new ArrayList<>(List.of("blocks.0.hook_resid_pre"));
        for (int i = 0; i < m.layers(); i++) {
            outputs.add("blocks." + i + ".hook_resid_post");
        }
        for (int i = 0; i < m.layers(); i++) {
            outputs.add("blocks." + i + ".attn.hook_pattern");
        }
        outputs.add("logits");
        var model = m.foreign(List.of(new Expose(List.of("blocks.0.hook_resid_pre", "blocks.*.hook_resid_post",
                "blocks.*.attn.hook_pattern"))));
        Map<String, double[]> out = ForeignModel.run(model, m.dir(), m.foreignInputs(), outputs);
        float[] states = m.reference("hidden_states");
        int rowSize = states.length / (m.layers() + 1);
        for (int row = 0; row <= m.layers(); row++) {
            String hook = row == 0 ? "blocks.0.hook_resid_pre" : "blocks." + (row - 1) + ".hook_resid_post";
            assertClose(Arrays.copyOfRange(states, row * rowSize, (row + 1) * rowSize), out.get(hook), hook);
        }
        float[] patterns = m.reference("attn_patterns");
        int patternSize = patterns.length / m.layers();
        for (int i = 0; i < m.layers(); i++) {
            String hook = "blocks." + i + ".attn.hook_pattern";
            assertClose(Arrays.copyOfRange(patterns, i * patternSize, (i + 1) * patternSize), out.get(hook), hook);
        }
        assertClose(m.reference("logits"), out.get("logits"), "logits");
    }

    @Test
    void lensEqualsTheUnembeddedReferenceStates() throws OrtException {
        for (ForeignModel m : List.of(ForeignModel.llama(), ForeignModel.phi3())) {
            int k = 5;
            var model = m.foreign(List.of(new LogitLens(k, List.of())));
            Map<String, double[]> out = ForeignModel.run(model, m.dir(), m.foreignInputs(),
                    List.of(LogitLens.TOP_IDS, LogitLens.TOP_LOGITS));
            float[] lens = m.reference("lens_logits");
            int rows = (m.layers() + 1) * m.sequence();
            double[] ids = out.get(LogitLens.TOP_IDS);
            double[] logits = out.get(LogitLens.TOP_LOGITS);
            for (int r = 0; r < rows; r++) {
                float[] row = Arrays.copyOfRange(lens, r * m.vocab(), (r + 1) * m.vocab());
                for (int j = 0; j < k; j++) {
                    int id = (int) ids[r * k + j];
                    // The lens logit of the id it names is the reference logit of that id ...
                    assertEquals(row[id], logits[r * k + j], TOL, "row " + r + " rank " + j);
                    // ... and it is the j-th largest reference logit (ties within noise may swap ids, not values).
                    float[] sorted = row.clone();
                    Arrays.sort(sorted);
                    assertEquals(sorted[m.vocab() - 1 - j], logits[r * k + j], TOL, "row " + r + " rank " + j);
                }
            }
        }
    }

    @Test
    void knockoutOnTheForeignGraphMatchesPyTorchAndTheOwnExport() throws OrtException {
        for (ForeignModel m : List.of(ForeignModel.llama(), ForeignModel.phi3())) {
            List<Integer> layers = List.of(1, 2);
            List<Pass> passes = List.of(new AttentionBias(layers));
            float[] bias = m.reference("knockout.attn_bias");
            long[] biasShape = m.referenceShape("knockout.attn_bias");

            Map<String, OnnxTensor> foreignIn = new java.util.LinkedHashMap<>(m.foreignInputs());
            for (int layer : layers) {
                foreignIn.put(AttentionBias.inputName(layer), ForeignModel.floats(bias, biasShape));
            }
            double[] foreign = ForeignModel.run(m.foreign(passes), m.dir(), foreignIn, List.of("logits")).get("logits");
            assertClose(m.reference("knockout.logits"), foreign, m.dir().getFileName() + " knockout logits");
            assertTrue(maxAbsDiff(m.reference("logits"), foreign) > 100 * TOL, "the knockout changes the logits");

            Path own = m.ownExport(tmp.resolve(m.dir().getFileName().toString()));
            var manifest = org.vlmscope.core.ModelManifest.read(own);
            Map<String, OnnxTensor> ownIn = new java.util.LinkedHashMap<>(
                    m.ownDecoderInputs(manifest.dims().kvHeads(), manifest.dims().headDim()));
            for (int layer : layers) {
                ownIn.put(AttentionBias.inputName(layer), ForeignModel.floats(bias, biasShape));
            }
            double[] ownLogits = ForeignModel.run(ForeignModel.ownDecoder(own, passes), own, ownIn, List.of("logits"))
                    .get("logits");
            assertClose(toFloats(ownLogits), foreign, m.dir().getFileName() + " own export vs foreign, knockout");
        }
    }

    @Test
    void patchAndGradientOnTheForeignGraphMatchTheOwnExport() throws OrtException {
        ForeignModel m = ForeignModel.llama();
        int s = m.sequence();
        int d = m.reference("inputs_embeds").length / s;
        // Patch: positions 3-5 of the embeddings replaced by one vector (a token ablation).
        float[] value = new float[s * d];
        float[] mask = new float[s];
        for (int p = 3; p <= 5; p++) {
            mask[p] = 1;
            for (int j = 0; j < d; j++) {
                value[p * d + j] = (float) Math.sin(j + 1.0);
            }
        }
        // Gradient of the last position's logit of token 7.
        float[] seed = new float[s * m.vocab()];
        seed[(s - 1) * m.vocab() + 7] = 1;
        String hook = "blocks.0.hook_resid_pre";
        List<Pass> passes = List.of(new Patch(List.of(hook)), new Gradient(hook));
        List<String> outputs = List.of("logits", Gradient.outputName(hook));

        Map<String, OnnxTensor> foreignIn = new java.util.LinkedHashMap<>(m.foreignInputs());
        Path own = m.ownExport(tmp.resolve("own"));
        var dims = org.vlmscope.core.ModelManifest.read(own).dims();
        Map<String, OnnxTensor> ownIn = new java.util.LinkedHashMap<>(m.ownDecoderInputs(dims.kvHeads(), dims.headDim()));
        for (Map<String, OnnxTensor> in : List.of(foreignIn, ownIn)) {
            in.put(hook + ".patch_value", ForeignModel.floats(value, 1, s, d));
            in.put(hook + ".patch_mask", ForeignModel.floats(mask, 1, s, 1));
            in.put(Gradient.SEED, ForeignModel.floats(seed, 1, s, m.vocab()));
        }
        Map<String, double[]> foreign = ForeignModel.run(m.foreign(passes), m.dir(), foreignIn, outputs);
        Map<String, double[]> ownOut = ForeignModel.run(ForeignModel.ownDecoder(own, passes), own, ownIn, outputs);
        assertTrue(maxAbsDiff(m.reference("logits"), foreign.get("logits")) > 100 * TOL, "the patch changes the logits");
        for (String name : outputs) {
            assertClose(toFloats(ownOut.get(name)), foreign.get(name), "own export vs foreign, patched: " + name);
        }
        double[] grad = foreign.get(Gradient.outputName(hook));
        assertTrue(Arrays.stream(grad).map(Math::abs).max().orElse(0) > 1e-3, "the gradient is not all zero");
    }

    static void assertClose(float[] expected, double[] actual, String what) {
        assertEquals(expected.length, actual.length, what + ": size");
        double worst = maxAbsDiff(expected, actual);
        assertTrue(worst <= TOL, what + ": max abs difference " + worst + " exceeds " + TOL);
    }

    static double maxAbsDiff(float[] expected, double[] actual) {
        double worst = 0;
        for (int i = 0; i < expected.length; i++) {
            worst = Math.max(worst, Math.abs(expected[i] - actual[i]));
        }
        return worst;
    }

    private static float[] toFloats(double[] d) {
        float[] f = new float[d.length];
        for (int i = 0; i < d.length; i++) {
            f[i] = (float) d[i];
        }
        return f;
    }
}
