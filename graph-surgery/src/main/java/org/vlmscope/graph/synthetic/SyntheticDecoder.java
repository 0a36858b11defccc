package org.vlmscope.graph.synthetic;

import ai.onnx.proto.OnnxMl.AttributeProto;
import ai.onnx.proto.OnnxMl.TensorProto.DataType;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.vlmscope.core.vocab.GraphNames;
import org.vlmscope.graph.Attributes;
import org.vlmscope.graph.ExternalData;
import org.vlmscope.graph.Graph;
import org.vlmscope.graph.OnnxModel;
import org.vlmscope.graph.Ops;
import org.vlmscope.graph.TensorType;
import org.vlmscope.graph.Value;

/**
 * Decoder graphs of any size laid out as other exporters write them, with no weights: every initializer is an
 * external-data reference into a file that does not exist, so anything that tried to read a weight would fail.
 * {@link Style#TORCH} follows torch.onnx.export of Hugging Face's LlamaForCausalLM (no-op float Casts the residual
 * is read from, RMSNorm as Pow/ReduceMean/Add/Sqrt/Div/Mul, rotary, Div by sqrt(head_dim), Add of the causal mask,
 * Softmax); {@link Style#ORT_BUILDER} follows ONNX Runtime's model builder (SimplifiedLayerNormalization, fused
 * SkipSimplifiedLayerNormalization whose fourth output carries the residual sum, GroupQueryAttention). For the
 * locator's benchmark and tests; these graphs are never run (the builder layout feeds layer 0's cache to every layer).
 */
public final class SyntheticDecoder {
    /** Sizes of a decoder. */
    public record Shape(int layers, int dModel, int heads, int ff, int vocab) {
        /** Llama-2-7B (LLaVA-1.5-7B's language model). */
        public static Shape llama7b() {
            return new Shape(32, 4096, 32, 11008, 32000);
        }
    }

    public enum Style { TORCH, ORT_BUILDER }

    static final String MS = "com.microsoft";
    /** The opset of {@link #build(Shape, Style, Path)}; 18 moves ReduceMean's axes from attribute to input. */
    public static final long OPSET = 17;
    private static final double EPS = 1e-5;
    /** PyTorch names a node's output after the node: {@code /model/layers.3/Add} writes {@code ..._output_0}. */
    private static final String OUT = "_output_0";

    private final Graph graph;
    private final Ops ops;
    private final Shape shape;
    private long offset;

    private SyntheticDecoder(OnnxModel model, Shape shape) {
        this.graph = model.graph();
        this.ops = new Ops(graph, model.opset());
        this.shape = shape;
    }

    /** The graph, with weights referenced in {@code missing.data} beside {@code dir} (never written). */
    public static OnnxModel build(Shape shape, Style style, Path dir) {
        return build(shape, style, OPSET, dir);
    }

    /** As {@link #build(Shape, Style, Path)} at ONNX opset {@code opset} (17 or 18). */
    public static OnnxModel build(Shape shape, Style style, long opset, Path dir) {
        OnnxModel model = OnnxModel.create("synthetic_" + style.name().toLowerCase(java.util.Locale.ROOT), opset, dir);
        SyntheticDecoder d = new SyntheticDecoder(model, shape);
        Value ids = d.graph.addInput(GraphNames.INPUT_IDS, TensorType.of(DataType.INT64, "batch", "sequence"));
        Value x = d.ops.op("Gather").in(d.weight("model.embed_tokens.weight", shape.vocab(), shape.dModel()), ids)
                .attr("axis", 0L).name("/model/embed_tokens/Gather").out("/model/embed_tokens/Gather" + OUT);
        if (style == Style.ORT_BUILDER) {
            model.importDomain(MS, 1);
        }
        Value logits = style == Style.TORCH ? d.torchLayers(x) : d.builderLayers(x);
        logits.setType(TensorType.of(DataType.FLOAT, "batch", "sequence", shape.vocab()));
        d.graph.addOutput(logits);
        return model;
    }

    private Value weight(String name, long... dims) {
        long bytes = 4;
        for (long dim : dims) {
            bytes *= dim;
        }
        Value w = graph.addInitializer(ExternalData.reference(name, DataType.FLOAT, dims, "missing.data", offset, bytes));
        offset += bytes;
        return w;
    }

    // ---- PyTorch's layout -------------------------------------------------------------------------------

    private Value torchLayers(Value embeds) {
        int hd = shape.dModel() / shape.heads();
        Value seq = ops.op("Gather").in(ops.op("Shape").in(embeds).out(), ops.scalarInt(1)).attr("axis", 0L).out();
        Value positions = ops.op("Range").in(ops.scalarInt(0), seq, ops.scalarInt(1)).out();
        Value allowed = ops.op("LessOrEqual").in(ops.op("Unsqueeze").in(positions, ops.ints(0)).out(),
                ops.op("Unsqueeze").in(positions, ops.ints(1)).out()).out();
        Value mask = ops.op("Where").in(allowed, ops.scalar(0, DataType.FLOAT),
                ops.scalar(-Float.MAX_VALUE, DataType.FLOAT)).name("/model/Where_1").out("/model/Where_1" + OUT);
        Value angles = ops.op("Mul").in(ops.op("Unsqueeze").in(ops.op("Cast").in(positions)
                .attr("to", (long) DataType.FLOAT_VALUE).out(), ops.ints(1)).out(), weight("inv_freq", hd / 2)).out();
        Value both = ops.op("Concat").in(angles, angles).attr("axis", -1L).out();
        Value cos = ops.op("Cos").in(both).out();
        Value sin = ops.op("Sin").in(both).out();
        Value x = embeds;
        for (int i = 0; i < shape.layers(); i++) {
            String p = "/model/layers." + i + "/";
            Value c = ops.op("Cast").in(x).attr("to", (long) DataType.FLOAT_VALUE).name(p + "input_layernorm/Cast")
                    .out(p + "input_layernorm/Cast" + OUT);
            Value h = torchNorm(c, "model.layers." + i + ".input_layernorm.weight");
            Value attn = torchAttention(h, cos, sin, mask, i, hd);
            Value mid = ops.op("Add").in(c, attn).name(p + "Add").out(p + "Add" + OUT);
            Value c2 = ops.op("Cast").in(mid).attr("to", (long) DataType.FLOAT_VALUE)
                    .name(p + "post_attention_layernorm/Cast").out(p + "post_attention_layernorm/Cast" + OUT);
            Value h2 = torchNorm(c2, "model.layers." + i + ".post_attention_layernorm.weight");
            String m = "model.layers." + i + ".mlp.";
            Value gate = ops.op("MatMul").in(h2, weight(m + "gate_proj.T", shape.dModel(), shape.ff())).out();
            Value up = ops.op("MatMul").in(h2, weight(m + "up_proj.T", shape.dModel(), shape.ff())).out();
            Value act = ops.op("Mul").in(gate, ops.op("Sigmoid").in(gate).out()).out();
            Value down = ops.op("MatMul").in(ops.op("Mul").in(act, up).out(),
                    weight(m + "down_proj.T", shape.ff(), shape.dModel())).out();
            x = ops.op("Add").in(c2, down).name(p + "Add_1").out(p + "Add_1" + OUT);
        }
        Value normed = torchNorm(ops.op("Cast").in(x).attr("to", (long) DataType.FLOAT_VALUE).out(), "model.norm.weight");
        return ops.op("MatMul").in(normed, weight("lm_head.T", shape.dModel(), shape.vocab())).out(GraphNames.LOGITS);
    }

    private Value torchNorm(Value x, String weightName) {
        Value pow = ops.op("Pow").in(x, ops.scalar(2, DataType.FLOAT)).out();
        Value mean = ops.reduceLastAxis("ReduceMean", pow);
        Value root = ops.op("Sqrt").in(ops.op("Add").in(mean, ops.scalar(EPS, DataType.FLOAT)).out()).out();
        Value inv = ops.op("Div").in(ops.scalar(1, DataType.FLOAT), root).out();
        Value normed = ops.op("Cast").in(ops.op("Mul").in(x, inv).out()).attr("to", (long) DataType.FLOAT_VALUE).out();
        return ops.op("Mul").in(weight(weightName, shape.dModel()), normed).out();
    }

    private Value torchAttention(Value h, Value cos, Value sin, Value mask, int i, int hd) {
        String w = "model.layers." + i + ".self_attn.";
        Value[] qkv = new Value[3];
        String[] names = {"q_proj", "k_proj", "v_proj"};
        for (int j = 0; j < 3; j++) {
            Value proj = ops.op("MatMul").in(h, weight(w + names[j] + ".T", shape.dModel(), shape.dModel())).out();
            qkv[j] = ops.op("Transpose").in(ops.op("Reshape").in(proj, ops.ints(0, 0, shape.heads(), hd)).out())
                    .attr("perm", new long[] {0, 2, 1, 3}).out();
        }
        Value q = rotary(qkv[0], cos, sin, hd);
        Value k = rotary(qkv[1], cos, sin, hd);
        Value kT = ops.op("Transpose").in(k).attr("perm", new long[] {0, 1, 3, 2}).out();
        Value scores = ops.op("Div").in(ops.op("MatMul").in(q, kT).out(), ops.scalar(Math.sqrt(hd), DataType.FLOAT)).out();
        Value masked = ops.op("Add").in(scores, mask).out();
        Value pattern = ops.op("Softmax").in(masked).attr("axis", -1L).name("/model/layers." + i + "/self_attn/Softmax")
                .out("/model/layers." + i + "/self_attn/Softmax" + OUT);
        Value z = ops.op("Transpose").in(ops.op("MatMul").in(pattern, qkv[2]).out()).attr("perm", new long[] {0, 2, 1, 3}).out();
        z = ops.op("Reshape").in(z, ops.ints(0, 0, shape.dModel())).out();
        return ops.op("MatMul").in(z, weight(w + "o_proj.T", shape.dModel(), shape.dModel())).out();
    }

    /** q * cos + rotate_half(q) * sin, rotate_half as Concat(-second half, first half). */
    private Value rotary(Value q, Value cos, Value sin, int hd) {
        Value first = ops.op("Slice").in(q, ops.ints(0), ops.ints(hd / 2), ops.ints(-1)).out();
        Value second = ops.op("Slice").in(q, ops.ints(hd / 2), ops.ints(hd), ops.ints(-1)).out();
        Value rotated = ops.op("Concat").in(ops.op("Neg").in(second).out(), first).attr("axis", -1L).out();
        return ops.op("Add").in(ops.op("Mul").in(q, cos).out(), ops.op("Mul").in(rotated, sin).out()).out();
    }

    // ---- ONNX Runtime builder's layout ---------------------------------------------------------------

    private Value builderLayers(Value embeds) {
        Value pastKey = graph.addInput(GraphNames.pastKey(0), TensorType.of(DataType.FLOAT, "batch", shape.heads(),
                "past", shape.dModel() / shape.heads()));
        Value seqlens = graph.addInput("seqlens_k", TensorType.of(DataType.INT32, "batch"));
        Value total = graph.addInput("total_sequence_length", TensorType.of(DataType.INT32));
        Value normed = contrib("SimplifiedLayerNormalization", "", List.of(embeds,
                weight("model.layers.0.input_layernorm.weight", shape.dModel())), 1).get(0);
        Value stream = embeds;
        for (int i = 0; i < shape.layers(); i++) {
            String w = "model.layers." + i + ".";
            Value q = ops.op("MatMul").in(normed, weight(w + "q_proj.T", shape.dModel(), shape.dModel())).out();
            Value k = ops.op("MatMul").in(normed, weight(w + "k_proj.T", shape.dModel(), shape.dModel())).out();
            Value v = ops.op("MatMul").in(normed, weight(w + "v_proj.T", shape.dModel(), shape.dModel())).out();
            Value attn = contrib("GroupQueryAttention", MS, List.of(q, k, v, pastKey, pastKey, seqlens, total), 3).get(0);
            Value o = ops.op("MatMul").in(attn, weight(w + "o_proj.T", shape.dModel(), shape.dModel())).out();
            List<Value> post = contrib("SkipSimplifiedLayerNormalization", MS, List.of(o, stream,
                    weight(w + "post_attention_layernorm.weight", shape.dModel())), 4);
            stream = post.get(3);
            Value gate = ops.op("MatMul").in(post.get(0), weight(w + "gate_proj.T", shape.dModel(), shape.ff())).out();
            Value act = ops.op("Mul").in(gate, ops.op("Sigmoid").in(gate).out()).out();
            Value down = ops.op("MatMul").in(act, weight(w + "down_proj.T", shape.ff(), shape.dModel())).out();
            String next = i + 1 < shape.layers() ? "model.layers." + (i + 1) + ".input_layernorm.weight" : "model.norm.weight";
            List<Value> pre = contrib("SkipSimplifiedLayerNormalization", MS, List.of(down, stream,
                    weight(next, shape.dModel())), 4);
            normed = pre.get(0);
            stream = pre.get(3);
        }
        return ops.op("MatMul").in(normed, weight("lm_head.T", shape.dModel(), shape.vocab())).out(GraphNames.LOGITS);
    }

    /** A contrib op, added through the raw graph API (the op builder knows only standard ONNX ops). */
    private List<Value> contrib(String op, String domain, List<Value> inputs, int outputs) {
        List<Value> outs = new ArrayList<>();
        for (int j = 0; j < outputs; j++) {
            outs.add(graph.freshValue(op + "_out" + j));
        }
        Map<String, AttributeProto> attrs = new LinkedHashMap<>();
        if (op.endsWith("LayerNormalization")) {
            attrs.put("epsilon", Attributes.of("epsilon", (float) EPS));
        }
        graph.addNode(op, domain, null, inputs, outs, attrs);
        return outs;
    }
}
