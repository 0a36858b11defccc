package org.vlmscope.graph.locate;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.onnx.proto.OnnxMl.TensorProto.DataType;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.vlmscope.graph.Graph;
import org.vlmscope.graph.GraphException;
import org.vlmscope.graph.Node;
import org.vlmscope.graph.OnnxModel;
import org.vlmscope.graph.TensorType;
import org.vlmscope.graph.Value;
import org.vlmscope.graph.passes.AttentionBias;
import org.vlmscope.graph.passes.Expose;
import org.vlmscope.graph.passes.Gradient;
import org.vlmscope.graph.passes.Hooks;
import org.vlmscope.graph.passes.LogitLens;
import org.vlmscope.graph.passes.Patch;

/**
 * The locator on graphs written by torch.onnx.export. PyTorch names each tensor after the module that computed it,
 * so the names are an independent record of what each located tensor is: layer i's residual additions are
 * {@code /model/layers.i/Add} (after attention) and {@code /model/layers.i/Add_1} (after the MLP), its softmax is
 * {@code /model/layers.i/self_attn/Softmax}.
 */
class HookLocatorTest {
    @Test
    void locatesEveryLayerOfTheTorchLlama() {
        checkTorchNames(ForeignGraphs.load("llama/model.onnx"), 4, 1e-5);
    }

    @Test
    void locatesEveryLayerOfTheTorchPhi3() {
        checkTorchNames(ForeignGraphs.load("phi3/model.onnx"), 3, 1e-5);
    }

    @Test
    void locatesEveryLayerOfTheTorchQwen2WithItsKvCache() {
        OnnxModel model = ForeignGraphs.load("qwen2/model.onnx");
        checkTorchNames(model, 3, 1e-6);
        // Keys and values arrive from the cache inputs; the attention scores still precede one Softmax per layer.
        assertTrue(model.graph().inputs().stream().anyMatch(v -> v.name().equals("past_key_values.2.value")));
    }

    private static void checkTorchNames(OnnxModel model, int layers, double eps) {
        Location location = HookLocator.locate(model);
        assertEquals(layers, location.layers());
        assertEquals(32L, location.dModel());
        Map<String, String> t = location.tensors();
        for (int i = 0; i < layers; i++) {
            String layer = "/model/layers." + i + "/";
            assertEquals(layer + "Add_output_0", t.get("blocks." + i + ".hook_resid_mid"));
            assertEquals(layer + "Add_1_output_0", t.get("blocks." + i + ".hook_resid_post"));
            assertEquals(i == 0 ? "/embed_tokens/Gather_output_0" : "/model/layers." + (i - 1) + "/Add_1_output_0",
                    t.get("blocks." + i + ".hook_resid_pre"));
            // PyTorch writes softmax(dtype=float32).to(dtype) as Softmax and two Casts that change nothing here.
            assertEquals(layer + "self_attn/Cast_5_output_0", t.get("blocks." + i + ".attn.hook_pattern"));
            Value scores = model.graph().require("blocks." + i + ".attn.hook_attn_scores");
            assertEquals(List.of(layer + "self_attn/Softmax"), scores.consumers().stream().map(Node::name).toList());
            assertEquals(layer + "self_attn/Add_2_output_0", t.get("blocks." + i + ".attn.hook_attn_scores"));
            assertEquals(layer + "self_attn/o_proj/MatMul_output_0", t.get("blocks." + i + ".hook_attn_out"));
            assertEquals(layer + "mlp/down_proj/MatMul_output_0", t.get("blocks." + i + ".hook_mlp_out"));
            assertEquals(layer + "input_layernorm/Cast_1_output_0", t.get("blocks." + i + ".ln1.hook_normalized"));
            assertEquals(layer + "post_attention_layernorm/Cast_1_output_0",
                    t.get("blocks." + i + ".ln2.hook_normalized"));
        }
        assertEquals("/model/norm/Cast_1_output_0", t.get("ln_final.hook_normalized"));
        assertEquals("logits", t.get("logits"));
        Map<String, String> meta = model.metadata();
        assertEquals("model.norm.weight", meta.get("vlmscope.final_norm_weight"));
        assertEquals(eps, Double.parseDouble(meta.get("vlmscope.rms_norm_eps")), eps * 1e-6, "epsilon, read from the graph");
        assertEquals("fp32", meta.get("vlmscope.compute_type"));
        assertEquals(List.copyOf(t.keySet()), Hooks.of(model));
        assertTrue(location.unavailable().containsKey("blocks.*.attn.hook_q"));
        // Every hook names a tensor, read where the located tensor was read.
        for (String hook : Hooks.of(model)) {
            assertNotNull(model.graph().value(hook), hook);
        }
        Value post = model.graph().require("blocks.0.hook_resid_post");
        assertEquals(List.of("Identity"), post.consumers().stream().map(Node::opType).toList(),
                "resid_post of layer 0 is read only by resid_pre of layer 1");
    }

    @Test
    void everyPassAppliesToTheLocatedGraph() {
        OnnxModel model = ForeignGraphs.load("llama/model.onnx");
        HookLocator.locate(model);
        new Expose(List.of("blocks.*.hook_resid_post")).apply(model);
        new Patch(List.of("blocks.1.hook_resid_mid")).apply(model);
        new AttentionBias(List.of(0, 3)).apply(model);
        new LogitLens(3, List.of(7L)).apply(model);
        new Gradient("blocks.0.hook_resid_pre").apply(model);
        Graph g = model.graph();
        for (String input : List.of("blocks.1.hook_resid_mid.patch_value", "blocks.0.attn.bias", "blocks.3.attn.bias",
                "grad.seed")) {
            assertTrue(g.isGraphInput(g.require(input)), input);
        }
        for (String output : List.of("blocks.3.hook_resid_post", LogitLens.TOP_IDS, LogitLens.TARGET_PROBS,
                "grad.blocks.0.hook_resid_pre")) {
            assertTrue(g.isGraphOutput(g.require(output)), output);
        }
        // The patched resid_mid feeds the rest of layer 1: its clean value is read only by the splice.
        assertTrue(g.require("blocks.1.hook_resid_mid.clean").consumers().stream()
                .noneMatch(n -> n.name().startsWith("/model/")));
        model.toProto();
    }

    @Test
    void refusesAGraphThatHasHooksAlready() {
        OnnxModel model = ForeignGraphs.load("phi3/model.onnx");
        HookLocator.locate(model);
        GraphException e = assertThrows(GraphException.class, () -> HookLocator.locate(model));
        assertTrue(e.getMessage().contains("already has hooks"), e.getMessage());
    }

    @Test
    void aDecoderMissingOneResidualAdditionFailsWithTheCounts() {
        OnnxModel model = ForeignGraphs.load("llama/model.onnx");
        Graph g = model.graph();
        // Layer 2 keeps its attention output but drops the residual: h = attn(x) instead of h = x + attn(x).
        Node add = g.nodes().stream().filter(n -> n.name().equals("/model/layers.2/Add")).findFirst().orElseThrow();
        Value attnOut = g.require("/model/layers.2/self_attn/o_proj/MatMul_output_0");
        g.replaceAllUses(add.output(0), attnOut);
        g.removeNode(add);
        GraphException e = assertThrows(GraphException.class, () -> HookLocator.locate(model));
        assertTrue(e.getMessage().contains("found 4 residual additions"), e.getMessage());
        assertTrue(e.getMessage().contains("and 4 attention nodes"), e.getMessage());
        assertTrue(Hooks.of(model).isEmpty(), "a failed locate records nothing");
    }

    @Test
    void hiddenSizesThatDisagreeFailNamingEach() {
        OnnxModel model = ForeignGraphs.load("llama/model.onnx");
        // A final norm whose weight claims 31 values in a 32-wide model.
        model.graph().require("model.norm.weight").setType(TensorType.of(DataType.FLOAT, 31));
        GraphException e = assertThrows(GraphException.class, () -> HookLocator.locate(model));
        assertTrue(e.getMessage().contains("the hidden sizes disagree"), e.getMessage());
        assertTrue(e.getMessage().contains("'model.norm.weight' has 31"), e.getMessage());
        assertTrue(e.getMessage().contains("has 32"), e.getMessage());
    }

    @Test
    void aVisionCnnFailsWithTheCounts() {
        OnnxModel model = ForeignGraphs.load("cnn.onnx");
        GraphException e = assertThrows(GraphException.class, () -> HookLocator.locate(model));
        // The second block's addition reads Relu(first sum), not the stream itself: the chain holds one step.
        assertTrue(e.getMessage().contains("found 1 residual addition ("), e.getMessage());
        assertTrue(e.getMessage().contains("and 0 attention nodes"), e.getMessage());
    }

    @Test
    void locationIsReadBackFromTheSavedGraph() throws Exception {
        OnnxModel model = ForeignGraphs.load("phi3/model.onnx");
        Location found = HookLocator.locate(model);
        java.nio.file.Path dir = java.nio.file.Files.createTempDirectory("located");
        model.save(dir.resolve("located.onnx"));
        OnnxModel again = OnnxModel.load(dir.resolve("located.onnx"));
        assertEquals(found, Location.read(again));
        assertEquals(Hooks.of(model), Hooks.of(again));
        List<String> names = new ArrayList<>(Hooks.of(again));
        names.forEach(again.graph()::require);
    }
}
