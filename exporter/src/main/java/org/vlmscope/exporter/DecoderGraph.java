package org.vlmscope.exporter;

import ai.onnx.proto.OnnxMl.TensorProto.DataType;
import org.vlmscope.exporter.config.TextConfig;
import org.vlmscope.core.vocab.GraphNames;
import org.vlmscope.core.vocab.HookName;
import org.vlmscope.core.vocab.MetadataKeys;
import org.vlmscope.graph.Ops;
import org.vlmscope.graph.TensorType;
import org.vlmscope.graph.Value;

/**
 * decoder.onnx: the language model with a KV cache. Inputs inputs_embeds [batch, seq, d_model] (float32),
 * attention_mask [batch, past+seq] (1 = attend), position_ids [batch, seq] (Qwen2-VL: [3, batch, seq], see
 * {@link TextModel#positions()}), past_key_values.{i}.key|value
 * [batch, kv_heads, past, head_dim]; outputs logits [batch, seq, vocab] (float32) and present.{i}.key|value.
 * One builder serves Llama, Mistral, Phi-3 (whose fused projections the checkpoint reader splits) and Qwen2. Attention
 * is unfused (MatMul, Softmax) so scores and pattern are tensors with hook names.
 */
final class DecoderGraph {
    private DecoderGraph() {
    }

    /** Per-graph tensors every layer reads: the additive mask and the rotary cos/sin. */
    private record Shared(Value mask, Value cos, Value sin) {
    }

    static void build(LayerBuilder lb, TextModel m) {
        TextConfig tc = m.config();
        var ops = lb.ops;
        var graph = lb.graph;
        long d = tc.hiddenSize();
        String prefix = m.prefix();
        lb.metadata.put(MetadataKeys.LAYERS, Integer.toString(tc.numLayers()));
        lb.metadata.put(MetadataKeys.RMS_NORM_EPS, Double.toString(tc.rmsNormEps()));

        Value embeds = graph.addInput(GraphNames.INPUTS_EMBEDS, TensorType.of(DataType.FLOAT, "batch", "sequence", d));
        Value attentionMask = graph.addInput(GraphNames.ATTENTION_MASK, TensorType.of(DataType.INT64, "batch", "total_sequence"));
        Value[] cosSin = m.positions().cosSin(lb, tc);
        TensorType cacheType = TensorType.of(lb.compute, "batch", tc.numKvHeads(), "past_sequence", tc.headDim());
        Value[] pastKeys = new Value[tc.numLayers()];
        Value[] pastValues = new Value[tc.numLayers()];
        for (int i = 0; i < tc.numLayers(); i++) {
            pastKeys[i] = graph.addInput(GraphNames.pastKey(i), cacheType);
            pastValues[i] = graph.addInput(GraphNames.pastValue(i), cacheType);
        }

        Shared shared = new Shared(causalMask(lb, embeds, attentionMask, tc), cosSin[0], cosSin[1]);

        Value x = lb.toCompute(embeds);
        for (int i = 0; i < tc.numLayers(); i++) {
            x = lb.hook(ops.op("Identity").in(x).out(HookName.residPre(i)), "batch", "sequence", d);
            Value[] present = new Value[2];
            x = layer(lb, m, i, x, pastKeys[i], pastValues[i], shared, present);
            for (int kv = 0; kv < 2; kv++) {
                present[kv].setType(TensorType.of(lb.compute, "batch", tc.numKvHeads(), "total_sequence", tc.headDim()));
                graph.addOutput(present[kv]);
            }
        }

        Value normed = lb.rmsNormalized(x, tc.rmsNormEps(), HookName.LN_FINAL, "batch", "sequence", d);
        Value h = ops.op("Mul").in(normed, lb.tensor(GraphNames.FINAL_NORM_WEIGHT, prefix + m.spec().tensors().get("final_norm")
                + ".weight", d)).out();
        String unembed = tc.tieWordEmbeddings() ? prefix + m.spec().tensors().get("embed_tokens") : m.lmHead();
        var lmHead = new LinearRef(m.checkpoint().tensor(unembed, tc.vocabSize(), d), null, 0, tc.vocabSize());
        Value logits = lb.linear(h, lmHead, GraphNames.UNEMBED);
        Value out = lb.compute == DataType.FLOAT ? ops.op("Identity").in(logits).out(GraphNames.LOGITS)
                : ops.op("Cast").in(logits).attr("to", (long) DataType.FLOAT_VALUE).out(GraphNames.LOGITS);
        out.setType(TensorType.of(DataType.FLOAT, "batch", "sequence", tc.vocabSize()));
        graph.addOutput(out);
        lb.hooks().add(HookName.LOGITS);
    }

    private static Value layer(LayerBuilder lb, TextModel m, int i, Value x, Value pastKey, Value pastValue,
                               Shared shared, Value[] present) {
        TextConfig tc = m.config();
        Ops ops = lb.ops;
        String prefix = m.prefix();
        var spec = m.spec();
        HfCheckpoint ckpt = m.checkpoint();
        String base = HookName.block(i);
        long d = tc.hiddenSize();
        long heads = tc.numHeads();
        long kvHeads = tc.numKvHeads();
        long headDim = tc.headDim();
        long ff = tc.intermediateSize();
        java.util.function.ToLongFunction<String> rows = role -> switch (role) {
            case "q" -> heads * headDim;
            case "k", "v" -> kvHeads * headDim;
            case "o" -> d;
            case "gate", "up" -> ff;
            case "down" -> d;
            default -> throw new IllegalArgumentException(role);
        };

        Value n1 = lb.rmsNormalized(x, tc.rmsNormEps(), HookName.ln1Normalized(i), "batch", "sequence", d);
        Value h = ops.op("Mul").in(n1, lb.tensor(base + ".ln1.w", prefix + spec.layerModule("attn_norm", i) + ".weight", d)).out();
        Value q = lb.hook(ops.op("Reshape").in(lb.linear(h, ckpt.linear(spec, prefix, "q", i, d, rows, tc.attentionBias()),
                base + ".attn.q"), ops.ints(0, 0, heads, headDim)).out(HookName.q(i)), "batch", "sequence", heads, headDim);
        Value k = lb.hook(ops.op("Reshape").in(lb.linear(h, ckpt.linear(spec, prefix, "k", i, d, rows, tc.attentionBias()),
                base + ".attn.k"), ops.ints(0, 0, kvHeads, headDim)).out(HookName.k(i)), "batch", "sequence", kvHeads, headDim);
        Value v = lb.hook(ops.op("Reshape").in(lb.linear(h, ckpt.linear(spec, prefix, "v", i, d, rows, tc.attentionBias()),
                base + ".attn.v"), ops.ints(0, 0, kvHeads, headDim)).out(HookName.v(i)), "batch", "sequence", kvHeads, headDim);
        long[] toHeads = {0, 2, 1, 3};
        Value q4 = Rotary.apply(lb, ops.op("Transpose").in(q).attr("perm", toHeads).out(), shared.cos(), shared.sin(), headDim);
        Value k4 = Rotary.apply(lb, ops.op("Transpose").in(k).attr("perm", toHeads).out(), shared.cos(), shared.sin(), headDim);
        Value v4 = ops.op("Transpose").in(v).attr("perm", toHeads).out();
        present[0] = ops.op("Concat").in(pastKey, k4).attr("axis", 2L).out(GraphNames.presentKey(i));
        present[1] = ops.op("Concat").in(pastValue, v4).attr("axis", 2L).out(GraphNames.presentValue(i));
        Value keys = repeatKv(lb, present[0], heads, kvHeads, headDim);
        Value values = repeatKv(lb, present[1], heads, kvHeads, headDim);

        Value kT = ops.op("Transpose").in(keys).attr("perm", new long[] {0, 1, 3, 2}).out();
        Value raw = ops.op("Div").in(ops.op("MatMul").in(q4, kT).out(), lb.constant(Math.sqrt(headDim))).out();
        Value scores = lb.hook(ops.op("Add").in(raw, shared.mask()).out(HookName.attnScores(i)),
                "batch", heads, "sequence", "total_sequence");
        Value pattern = lb.softmax(scores, HookName.pattern(i), "batch", heads, "sequence", "total_sequence");
        Value z = lb.hook(ops.op("Transpose").in(ops.op("MatMul").in(pattern, values).out())
                .attr("perm", toHeads).out(HookName.z(i)), "batch", "sequence", heads, headDim);
        z = ops.op("Reshape").in(z, ops.ints(0, 0, heads * headDim)).out();
        Value attnOut = lb.linear(z, ckpt.linear(spec, prefix, "o", i, heads * headDim, rows, m.outputBias()),
                base + ".attn.o");
        attnOut = lb.hook(ops.op("Identity").in(attnOut).out(HookName.attnOut(i)), "batch", "sequence", d);
        Value mid = lb.hook(ops.op("Add").in(x, attnOut).out(HookName.residMid(i)), "batch", "sequence", d);

        Value n2 = lb.rmsNormalized(mid, tc.rmsNormEps(), HookName.ln2Normalized(i), "batch", "sequence", d);
        Value h2 = ops.op("Mul").in(n2, lb.tensor(base + ".ln2.w", prefix + spec.layerModule("mlp_norm", i) + ".weight", d)).out();
        Value gate = lb.linear(h2, ckpt.linear(spec, prefix, "gate", i, d, rows, tc.mlpBias()), base + ".mlp.gate");
        Value up = lb.linear(h2, ckpt.linear(spec, prefix, "up", i, d, rows, tc.mlpBias()), base + ".mlp.up");
        Value act = ops.op("Mul").in(lb.activation(tc.hiddenAct(), gate), up).out();
        Value mlpOut = lb.linear(act, ckpt.linear(spec, prefix, "down", i, ff, rows, tc.mlpBias()), base + ".mlp.down");
        mlpOut = lb.hook(ops.op("Identity").in(mlpOut).out(HookName.mlpOut(i)), "batch", "sequence", d);
        return lb.hook(ops.op("Add").in(mid, mlpOut).out(HookName.residPost(i)), "batch", "sequence", d);
    }

    /** Grouped-query attention: each of the kv heads serves heads/kvHeads query heads. */
    private static Value repeatKv(LayerBuilder lb, Value kv, long heads, long kvHeads, long headDim) {
        if (heads == kvHeads) {
            return kv;
        }
        Ops ops = lb.ops;
        Value grouped = ops.op("Unsqueeze").in(kv, ops.ints(2)).out();
        Value expanded = ops.op("Expand").in(grouped, ops.ints(1, 1, heads / kvHeads, 1, 1)).out();
        return ops.op("Reshape").in(expanded, ops.ints(0, heads, -1, headDim)).out();
    }

    /**
     * The additive mask [batch, 1, seq, past+seq]: 0 where a query may attend a key (causal, key not padding,
     * inside the sliding window if the model has one), the compute type's lowest finite value elsewhere, as
     * Hugging Face's eager attention builds it.
     */
    private static Value causalMask(LayerBuilder lb, Value embeds, Value attentionMask, TextConfig tc) {
        Ops ops = lb.ops;
        Value seq = EmbedGraph.squeeze(lb, ops.op("Shape").in(embeds).attr("start", 1L).attr("end", 2L).out());
        Value total = EmbedGraph.squeeze(lb, ops.op("Shape").in(attentionMask).attr("start", 1L).attr("end", 2L).out());
        Value past = ops.op("Sub").in(total, seq).out();
        Value queryPos = ops.op("Unsqueeze").in(ops.op("Range").in(past, total, ops.scalarInt(1)).out(), ops.ints(1)).out();
        Value keyPos = ops.op("Unsqueeze").in(ops.op("Range").in(ops.scalarInt(0), total, ops.scalarInt(1)).out(),
                ops.ints(0)).out();
        Value allowed = ops.op("LessOrEqual").in(keyPos, queryPos).out();
        if (tc.slidingWindow() != null) {
            Value oldest = ops.op("Sub").in(queryPos, ops.scalarInt(tc.slidingWindow())).out();
            allowed = ops.op("And").in(allowed, ops.op("Greater").in(keyPos, oldest).out()).out();
        }
        Value notPadding = ops.op("Unsqueeze").in(
                ops.op("Cast").in(attentionMask).attr("to", (long) DataType.BOOL_VALUE).out(), ops.ints(1, 2)).out();
        allowed = ops.op("And").in(allowed, notPadding).out();
        return lb.additiveMask(allowed);
    }
}
