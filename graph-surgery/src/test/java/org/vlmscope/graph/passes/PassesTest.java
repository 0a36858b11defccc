package org.vlmscope.graph.passes;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.onnx.proto.OnnxMl.TensorProto;
import ai.onnx.proto.OnnxMl.TensorProto.DataType;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.vlmscope.graph.Graph;
import org.vlmscope.graph.GraphException;
import org.vlmscope.graph.Node;
import org.vlmscope.graph.OnnxModel;
import org.vlmscope.graph.Ops;
import org.vlmscope.graph.TensorType;
import org.vlmscope.graph.Value;

/**
 * Each pass on a small hand-made graph shaped like a vlmscope decoder (two layers of resid_pre -> attention scores
 * -> pattern -> resid_post, a final norm weight and unembedding, the exporter's metadata): what it adds, renames
 * and rewires, and what it refuses. Hook names are spelled out here, as TransformerLens spells them.
 */
class PassesTest {
    private static final long OPSET = 17;
    private static final int WIDTH = 4;
    private static final int VOCAB = 10;
    private static final TensorType HIDDEN = TensorType.of(DataType.FLOAT, "batch", "sequence", WIDTH);

    @TempDir
    Path tmp;

    /** Two layers; returns the model with vlmscope.hooks, vlmscope.layers, rms eps and compute type set. */
    private OnnxModel toy() {
        OnnxModel model = OnnxModel.create("decoder", OPSET, tmp);
        Graph g = model.graph();
        Ops ops = new Ops(g, OPSET);
        List<String> hooks = new ArrayList<>();
        Value x = g.addInput("inputs_embeds", HIDDEN);
        for (int i = 0; i < 2; i++) {
            x = hook(ops.op("Identity").in(x).out("blocks." + i + ".hook_resid_pre"), hooks);
            Value scores = hook(ops.op("Identity").in(x).out("blocks." + i + ".attn.hook_attn_scores"), hooks);
            Value pattern = hook(ops.op("Softmax").in(scores).attr("axis", -1L).out("blocks." + i + ".attn.hook_pattern"),
                    hooks);
            x = hook(ops.op("Add").in(x, pattern).out("blocks." + i + ".hook_resid_post"), hooks);
        }
        Value norm = g.addInitializer(floats("ln_final.w", WIDTH));
        Value unembed = g.addInitializer(floats("unembed.W", WIDTH, VOCAB));
        Value logits = ops.op("MatMul").in(ops.op("Mul").in(x, norm).out(), unembed).out("logits");
        logits.setType(TensorType.of(DataType.FLOAT, "batch", "sequence", VOCAB));
        g.addOutput(logits);
        hooks.add("logits");
        model.metadata().put("vlmscope.hooks", String.join(",", hooks));
        model.metadata().put("vlmscope.layers", "2");
        model.metadata().put("vlmscope.rms_norm_eps", "1e-6");
        model.metadata().put("vlmscope.compute_type", "fp32");
        return model;
    }

    private static Value hook(Value v, List<String> hooks) {
        v.setType(HIDDEN);
        hooks.add(v.name());
        return v;
    }

    private static TensorProto floats(String name, long... dims) {
        TensorProto.Builder t = TensorProto.newBuilder().setName(name).setDataType(DataType.FLOAT_VALUE);
        long n = 1;
        for (long d : dims) {
            t.addDims(d);
            n *= d;
        }
        for (int i = 0; i < n; i++) {
            t.addFloatData(i * 0.1f);
        }
        return t.build();
    }

    private static List<String> names(List<Value> values) {
        return values.stream().map(Value::name).toList();
    }

    private static void assertError(Runnable action, String fragment) {
        GraphException e = assertThrows(GraphException.class, action::run);
        assertTrue(e.getMessage().contains(fragment), () -> "'" + e.getMessage() + "' should mention '" + fragment + "'");
    }

    @Test
    void exposeMakesTheMatchingHooksOutputsInGraphOrderOnce() {
        OnnxModel m = toy();
        List<String> exposed = new Expose(List.of("blocks.*.hook_resid_post", "blocks.0.hook_resid_pre")).exposed(m);
        assertEquals(List.of("blocks.0.hook_resid_pre", "blocks.0.hook_resid_post", "blocks.1.hook_resid_post"), exposed);
        assertEquals(List.of("logits", "blocks.0.hook_resid_pre", "blocks.0.hook_resid_post", "blocks.1.hook_resid_post"),
                names(m.graph().outputs()));
        assertEquals(List.of(Map.of("pass", "expose", "hooks", List.of("blocks.*.hook_resid_post",
                "blocks.0.hook_resid_pre"))), SurgeryLog.entries(m));
        assertError(() -> new Expose(List.of("blocks.1.hook_resid_post")).apply(m), "already exposed");
        assertError(() -> new Expose(List.of("blocks.*.hook_mlp_out")).apply(toy()), "'blocks.*.hook_mlp_out'");
    }

    @Test
    void patchSplicesValueAndMaskInFrontOfEveryConsumerAndKeepsTheCleanTensor() {
        OnnxModel m = toy();
        Graph g = m.graph();
        Value original = g.require("blocks.0.hook_resid_pre");
        List<Node> consumers = List.copyOf(original.consumers());
        new Patch(List.of("blocks.0.hook_resid_pre")).apply(m);

        assertSame(original, g.require("blocks.0.hook_resid_pre.clean"));
        Value value = g.require("blocks.0.hook_resid_pre.patch_value");
        Value mask = g.require("blocks.0.hook_resid_pre.patch_mask");
        assertTrue(g.isGraphInput(value) && g.isGraphInput(mask));
        assertEquals(HIDDEN, value.type());
        // h' = h + mask * (value - h)
        Value patched = g.require("blocks.0.hook_resid_pre");
        Node add = patched.producer();
        assertEquals("Add", add.opType());
        assertSame(original, add.inputs().get(0));
        Node mul = add.inputs().get(1).producer();
        assertEquals("Mul", mul.opType());
        assertSame(mask, mul.inputs().get(0));
        Node sub = mul.inputs().get(1).producer();
        assertEquals(List.of(value, original), sub.inputs());
        for (Node n : consumers) {
            assertTrue(n.inputs().contains(patched) && !n.inputs().contains(original), n.name());
        }
        assertError(() -> new Patch(List.of("blocks.0.hook_resid_pre")).apply(m), "already patched");
        assertError(() -> new Patch(List.of("blocks.7.hook_resid_pre")).apply(toy()), "'blocks.7.hook_resid_pre'");
    }

    @Test
    void attentionBiasAddsOneInputPerLayerBeforeTheSoftmax() {
        OnnxModel m = toy();
        Graph g = m.graph();
        Value unbiased = g.require("blocks.1.attn.hook_attn_scores");
        new AttentionBias(List.of(1)).apply(m);

        Value bias = g.require("blocks.1.attn.bias");
        assertTrue(g.isGraphInput(bias));
        assertEquals(DataType.FLOAT, bias.type().elemType());
        assertSame(unbiased, g.require("blocks.1.attn.hook_attn_scores.unbiased"));
        Value biased = g.require("blocks.1.attn.hook_attn_scores");
        assertEquals(List.of(unbiased, bias), biased.producer().inputs());
        Node softmax = g.require("blocks.1.attn.hook_pattern").producer();
        assertSame(biased, softmax.inputs().get(0));
        // Layer 0 is untouched.
        assertEquals(null, g.value("blocks.0.attn.bias"));
        assertEquals("Identity", g.require("blocks.0.attn.hook_attn_scores").producer().opType());

        assertError(() -> new AttentionBias(List.of(1)).apply(m), "already has a bias input");
        assertError(() -> new AttentionBias(List.of(2)).apply(toy()), "layers 0-1");
        OnnxModel mislabelled = toy();
        mislabelled.metadata().put("vlmscope.layers", "3");
        assertError(() -> new AttentionBias(List.of(0)).apply(mislabelled), "found 2 attention-score hooks for a 3-layer");
    }

    @Test
    void logitLensStacksTopKOfEveryResidualWithoutCopyingTheUnembedding() {
        OnnxModel m = toy();
        Graph g = m.graph();
        new LogitLens(3, List.of(5L)).apply(m);

        Map<String, TensorType> outputs = new java.util.LinkedHashMap<>();
        g.outputs().forEach(v -> outputs.put(v.name(), v.type()));
        // Rows: embeddings (resid_pre of layer 0) and each layer's resid_post: 3 for 2 layers.
        assertEquals(TensorType.of(DataType.INT64, 3, "batch", "sequence", 3), outputs.get("lens.top_ids"));
        assertEquals(TensorType.of(DataType.FLOAT, 3, "batch", "sequence", 3), outputs.get("lens.top_logits"));
        assertEquals(TensorType.of(DataType.FLOAT, 3, "batch", "sequence", 3), outputs.get("lens.top_probs"));
        assertEquals(TensorType.of(DataType.FLOAT, 3, "batch", "sequence", 1), outputs.get("lens.target_probs"));
        assertEquals(5, outputs.size(), "only logits and the four lens outputs: " + outputs.keySet());
        // The unembedding is read where it is: every MatMul with it uses the one initializer.
        Value unembed = g.require("unembed.W");
        assertEquals(4, unembed.consumers().size(), "the model's own product and one per lens row");
        assertEquals(List.of("unembed.W"), g.initializers().stream()
                .filter(v -> v.initializer().getDimsList().equals(List.of((long) WIDTH, (long) VOCAB)))
                .map(Value::name).toList(), "no copy of the unembedding");
        assertEquals(List.of("ln_final.w"), g.initializers().stream()
                .filter(v -> v.initializer().getDataType() == DataType.FLOAT_VALUE
                        && v.initializer().getDimsList().equals(List.of((long) WIDTH)))
                .map(Value::name).toList(), "no copy of the norm weight");

        assertError(() -> new LogitLens(3, List.of()).apply(m), "already has a lens");
        assertNotEquals(new LogitLens(3, List.of()).describe(), new LogitLens(3, List.of(), true).describe(),
                "the lens that norms its last row twice is another variant");
        assertError(() -> new LogitLens(11, List.of()).apply(toy()), "exceeds the vocabulary size 10");
        assertError(() -> new LogitLens(2, List.of(10L)).apply(toy()), "target token 10");
    }

    @Test
    void hookGlobsMatchWithinAndAcrossDotsAndAlternatives() {
        List<String> hooks = Hooks.of(toy());
        assertEquals(List.of("blocks.0.attn.hook_pattern", "blocks.1.attn.hook_pattern"),
                Hooks.match(hooks, List.of("*.hook_pattern")));
        assertEquals(List.of("blocks.0.hook_resid_pre", "blocks.1.hook_resid_post"),
                Hooks.match(hooks, List.of("blocks.{1.hook_resid_post,0.hook_resid_pre}")));
        assertEquals(List.of("blocks.0.hook_resid_post", "blocks.1.hook_resid_post"),
                Hooks.match(hooks, List.of("blocks.?.hook_resid_pos?")));
        assertError(() -> Hooks.match(hooks, List.of("vision.*")), "no hook matches 'vision.*'");
        assertNotNull(Hooks.toRegex("a.b"));
        assertTrue(!Hooks.toRegex("a.b").matcher("axb").matches(), "a dot in a glob is a literal dot");
    }
}
