package org.vlmscope.runtime.gradient;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.vlmscope.runtime.gradient.ExportedGraph.gaussian;

import ai.onnx.proto.OnnxMl.TensorProto.DataType;
import ai.onnxruntime.OrtException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.vlmscope.graph.GraphException;
import org.vlmscope.graph.OnnxModel;
import org.vlmscope.graph.passes.AttentionBias;
import org.vlmscope.graph.passes.Gradient;
import org.vlmscope.graph.passes.Patch;
import org.vlmscope.runtime.gradient.GradCheck.Feed;

/**
 * The gradient pass on a whole exported decoder (the golden llava-tiny checkpoint: 4 Llama layers, grouped-query
 * attention, SiLU MLP, rotary embeddings), checked by directional finite differences in float32 with a dense
 * random seed over all 6 x 1024 logits.
 *
 * <p>Step and tolerance: f = sum(seed * logits) sums 6144 float32 logits and carries rounding noise of about 1e-4
 * (measured: at h = 1e-3 the differences scatter by 0.03-0.06), which a step h contributes as 1e-4 / 2h;
 * truncation grows as h^2 (about 0.1 absolute at h = 0.1). h = 3e-2 balances the two at a few 1e-3 absolute on
 * derivatives of size 0.5-50; measured errors (relative to max(|fd|, 1)) are 1e-6 to 2.4e-3, so 1e-2 holds with
 * margin, while a wrong rule gives errors of tens of percent.
 */
class DecoderGradientTest {
    private static final int SEQ = 6;
    private static final int LAYERS = 4;
    private static final int D_MODEL = 64;
    private static final long[] LOGITS = {1, SEQ, 1024};
    private static final double H = 3e-2;
    private static final double TOLERANCE = 1e-2;

    @TempDir
    static Path tmp;
    static ExportedGraph decoder;

    @BeforeAll
    static void export() {
        decoder = new ExportedGraph(ExportedGraph.export(tmp.resolve("fp32"), "fp32"), "decoder.onnx", "logits");
    }

    @Test
    void gradientOfTheLogitsWithRespectToTheEmbeddings() throws OrtException {
        decoder.checkDirections(List.of(), feeds(new Random(1), DataType.FLOAT), "inputs_embeds", "inputs_embeds",
                LOGITS, H, TOLERANCE, new Random(11));
    }

    /** Knockout: the last query may not attend keys 1 and 3 in any layer (bias -inf there). */
    @Test
    void gradientUnderAnAttentionKnockout() throws OrtException {
        Map<String, Feed> feeds = feeds(new Random(2), DataType.FLOAT);
        double[] bias = new double[SEQ * SEQ];
        for (int key : new int[] {1, 3}) {
            bias[(SEQ - 1) * SEQ + key] = Double.NEGATIVE_INFINITY;
        }
        List<Integer> layers = new ArrayList<>();
        for (int i = 0; i < LAYERS; i++) {
            layers.add(i);
            feeds.put(AttentionBias.inputName(i), new Feed(DataType.FLOAT, new long[] {1, 1, SEQ, SEQ}, bias));
        }
        decoder.checkDirections(List.of(new AttentionBias(layers)), feeds, "inputs_embeds", "inputs_embeds", LOGITS,
                H, TOLERANCE, new Random(12));
    }

    /**
     * Position 2's embedding replaced by a patch: the logits no longer depend on inputs_embeds there, so that row of
     * the gradient is exactly zero (the patch's h + 1 * (v - h) differentiates to 1 - 1), the others are not.
     */
    @Test
    void gradientThroughAnEmbeddingPatch() throws OrtException {
        String hook = "blocks.0.hook_resid_pre";
        Map<String, Feed> feeds = feeds(new Random(4), DataType.FLOAT);
        double[] mask = new double[SEQ];
        mask[2] = 1;
        feeds.put(hook + ".patch_mask", new Feed(DataType.FLOAT, new long[] {1, SEQ, 1}, mask));
        feeds.put(hook + ".patch_value", gaussian(new Random(5), new long[] {1, SEQ, D_MODEL}));
        double[] g = decoder.checkDirections(List.of(new Patch(List.of(hook))), feeds, "inputs_embeds",
                "inputs_embeds", LOGITS, H, TOLERANCE, new Random(13));
        for (int s = 0; s < SEQ; s++) {
            double rowNorm = 0;
            for (int j = 0; j < D_MODEL; j++) {
                rowNorm += Math.abs(g[s * D_MODEL + j]);
            }
            if (s == 2) {
                assertEquals(0.0, rowNorm, "gradient at the patched position");
            } else {
                assertTrue(rowNorm > 1e-3, "gradient at position " + s + " vanished");
            }
        }
    }

    /**
     * The gradient with respect to a hook inside the graph. The hook is patched with mask 1, so it equals the fed
     * patch value, and moving that value is how finite differences move the hook.
     */
    @Test
    void gradientWithRespectToAHook() throws OrtException {
        String hook = "blocks.1.hook_resid_mid";
        Map<String, Feed> feeds = feeds(new Random(6), DataType.FLOAT);
        feeds.put(hook + ".patch_mask", new Feed(DataType.FLOAT, new long[] {1}, new double[] {1}));
        feeds.put(hook + ".patch_value", gaussian(new Random(7), new long[] {1, SEQ, D_MODEL}));
        decoder.checkDirections(List.of(new Patch(List.of(hook))), feeds, hook + ".patch_value", hook, LOGITS, H,
                TOLERANCE, new Random(14));
    }

    /**
     * An fp16 export differentiates in fp16 and returns the gradient in float32, like inputs_embeds. Reference: the
     * fp32 export's gradient at the same point, checked above. fp16 rounds every activation to 11 significant
     * bits (relative 5e-4); through four layers forward and back the gradients measured about 1% apart in L2
     * (cosine 0.99997), so 5% and 0.999 leave margin while a wrong dtype path would be far off or fail to run.
     */
    @Test
    void fp16ExportMatchesTheFp32Gradient() throws OrtException {
        ExportedGraph half = new ExportedGraph(ExportedGraph.export(tmp.resolve("fp16"), "fp16"), "decoder.onnx",
                "logits");
        Feed seed = gaussian(new Random(8), LOGITS);
        Map<String, Feed> feeds32 = feeds(new Random(3), DataType.FLOAT);
        Map<String, Feed> feeds16 = feeds(new Random(3), DataType.FLOAT16);
        feeds32.put(Gradient.SEED, seed);
        feeds16.put(Gradient.SEED, seed);
        double[] g32 = decoder.gradient(List.of(), feeds32, "inputs_embeds");
        double[] g16 = half.gradient(List.of(), feeds16, "inputs_embeds");
        double diff = 0;
        for (int i = 0; i < g32.length; i++) {
            diff += (g16[i] - g32[i]) * (g16[i] - g32[i]);
        }
        double n32 = GradCheck.dot(g32, g32);
        double cosine = GradCheck.dot(g16, g32) / Math.sqrt(GradCheck.dot(g16, g16) * n32);
        double relativeL2 = Math.sqrt(diff / n32);
        assertTrue(cosine > 0.999 && relativeL2 < 0.05, "fp16 gradient vs fp32: cosine " + cosine
                + ", relative L2 difference " + relativeL2);
    }

    /** Position ids reach the logits only through rotary's Cast, Cos and Sin; they are int64 in any case. */
    @Test
    void positionIdsAreNotDifferentiable() {
        OnnxModel model = OnnxModel.load(decoder.dir().resolve("decoder.onnx"));
        GraphException e = assertThrows(GraphException.class, () -> new Gradient("position_ids").apply(model));
        assertTrue(e.getMessage().contains("'position_ids' is int64"), e.getMessage());
    }

    /** Embeddings N(0, 1), no padding, positions 0..SEQ-1, an empty KV cache in the export's compute type. */
    private static Map<String, Feed> feeds(Random random, DataType cacheType) {
        Map<String, Feed> feeds = new LinkedHashMap<>();
        feeds.put("inputs_embeds", gaussian(random, new long[] {1, SEQ, D_MODEL}));
        long[] ones = new long[SEQ];
        long[] positions = new long[SEQ];
        for (int i = 0; i < SEQ; i++) {
            ones[i] = 1;
            positions[i] = i;
        }
        feeds.put("attention_mask", Feed.ints(new long[] {1, SEQ}, ones));
        feeds.put("position_ids", Feed.ints(new long[] {1, SEQ}, positions));
        for (int i = 0; i < LAYERS; i++) {
            for (String kv : new String[] {"key", "value"}) {
                feeds.put("past_key_values." + i + "." + kv,
                        new Feed(cacheType, new long[] {1, 2, 0, 16}, new double[0]));
            }
        }
        return feeds;
    }
}
