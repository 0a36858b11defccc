package org.vlmscope.graph.locate;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.vlmscope.core.vocab.HookName;
import org.vlmscope.graph.GraphException;
import org.vlmscope.graph.OnnxModel;
import org.vlmscope.graph.synthetic.SyntheticDecoder;
import org.vlmscope.graph.synthetic.SyntheticDecoder.Shape;
import org.vlmscope.graph.synthetic.SyntheticDecoder.Style;
import org.vlmscope.graph.passes.AttentionBias;
import org.vlmscope.graph.passes.Expose;
import org.vlmscope.graph.passes.Hooks;
import org.vlmscope.graph.passes.LogitLens;
import org.vlmscope.graph.passes.Patch;

/** The locator on decoders laid out as ONNX Runtime's builder and PyTorch write them, built by hand without weights. */
class SyntheticDecoderLocateTest {
    private static final Shape SMALL = new Shape(3, 16, 2, 24, 40);

    @TempDir
    Path dir;

    @Test
    void builderLayoutGivesTheResidualStreamFromTheFusedSkipNorms() {
        OnnxModel model = SyntheticDecoder.build(SMALL, Style.ORT_BUILDER, dir);
        Location location = HookLocator.locate(model);
        assertEquals(3, location.layers());
        List<String> hooks = Hooks.of(model);
        for (int i = 0; i < 3; i++) {
            for (String h : List.of("hook_resid_pre", "hook_resid_mid", "hook_resid_post", "hook_attn_out", "hook_mlp_out")) {
                assertTrue(hooks.contains("blocks." + i + "." + h), h);
            }
        }
        // The stream after layer i is the fourth output of the skip norm that closes its MLP branch.
        assertEquals("SkipSimplifiedLayerNormalization", model.graph().value(location.tensors()
                .get("blocks.1.hook_resid_post")).producer().opType());
        assertEquals("/model/embed_tokens/Gather_output_0", location.tensors().get("blocks.0.hook_resid_pre"));
        assertFalse(hooks.contains("blocks.0.attn.hook_attn_scores"));
        assertTrue(location.unavailable().get("blocks.*.attn.hook_attn_scores").contains("GroupQueryAttention"));
        assertTrue(location.unavailable().get("blocks.*.ln1.hook_normalized").contains("fused"));
        assertEquals("model.norm.weight", model.metadata().get("vlmscope.final_norm_weight"));
        new Expose(List.of("blocks.*.hook_resid_post")).apply(model);
        new Patch(List.of("blocks.2.hook_resid_mid")).apply(model);
        new LogitLens(5, List.of()).apply(model);
        GraphException e = assertThrows(GraphException.class, () -> new AttentionBias(List.of(0)).apply(model));
        assertTrue(e.getMessage().contains("found 0 attention-score hooks for a 3-layer model (attention is one fused "
                + "GroupQueryAttention node"), e.getMessage());
    }

    @Test
    void torchLayoutAtOpset18WhereReduceMeanTakesItsAxesAsInput() {
        OnnxModel model = SyntheticDecoder.build(SMALL, Style.TORCH, 18, dir);
        Location location = HookLocator.locate(model);
        assertEquals(3, location.layers());
        assertTrue(location.tensors().containsKey(HookName.ln2Normalized(2)));
        new LogitLens(5, List.of()).apply(model);
        new AttentionBias(List.of(1)).apply(model);
    }

    @Test
    void torchLayoutLocatesAndRewritesWithoutReadingWeights() {
        OnnxModel model = SyntheticDecoder.build(SMALL, Style.TORCH, dir);
        Location location = HookLocator.locate(model);
        assertEquals(3, location.layers());
        assertEquals("/model/layers.2/Add_1_output_0", location.tensors().get("blocks.2.hook_resid_post"));
        assertEquals("/model/layers.1/self_attn/Softmax_output_0", location.tensors().get("blocks.1.attn.hook_pattern"));
        new Expose(List.of("blocks.*.hook_resid_post")).apply(model);
        new AttentionBias(List.of(0, 1, 2)).apply(model);
        new LogitLens(5, List.of()).apply(model);
        assertFalse(Files.exists(dir.resolve("missing.data")), "the weights file never exists");
        model.toBytes();
    }
}
