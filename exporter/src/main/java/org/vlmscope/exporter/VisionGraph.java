package org.vlmscope.exporter;

import ai.onnx.proto.OnnxMl.TensorProto.DataType;
import java.util.ArrayList;
import java.util.List;
import org.vlmscope.exporter.config.LlavaConfig;
import org.vlmscope.exporter.config.VisionConfig;
import org.vlmscope.core.vocab.GraphNames;
import org.vlmscope.core.vocab.HookName;
import org.vlmscope.graph.TensorType;
import org.vlmscope.graph.Value;

/**
 * vision.onnx: pixel_values [batch, 3, H, W] -> image_features [batch, tokens, d_model], the CLIP ViT tower up to
 * the selected feature layer (later layers are never computed) followed by the multi-modal projector.
 */
final class VisionGraph {
    private VisionGraph() {
    }

    static void build(LayerBuilder lb, LlavaCheckpoint ckpt) {
        LlavaConfig config = ckpt.config;
        VisionConfig vc = config.vision();
        String prefix = ckpt.layout.vision();
        var spec = ckpt.visionSpec;
        var ops = lb.ops;
        long d = vc.hiddenSize();
        long p = vc.patchSize();
        long grid = vc.imageSize() / p;
        long positions = grid * grid + 1;

        Value pixels = lb.graph.addInput(GraphNames.PIXEL_VALUES,
                TensorType.of(DataType.FLOAT, "batch", vc.numChannels(), vc.imageSize(), vc.imageSize()));
        Value patchW = lb.tensor("vision.embed.W_patch", prefix + spec.tensors().get("patch_embedding"),
                d, vc.numChannels(), p, p);
        Value patches = ops.op("Conv").in(lb.toCompute(pixels), patchW).attr("kernel_shape", new long[] {p, p})
                .attr("strides", new long[] {p, p}).out();
        patches = ops.op("Transpose").in(ops.op("Reshape").in(patches, ops.ints(0, d, -1)).out())
                .attr("perm", new long[] {0, 2, 1}).out();
        Value cls = lb.tensor("vision.embed.class", ckpt.tensor(prefix + spec.tensors().get("class_embedding"), d),
                1, 1, d);
        Value batch = ops.op("Shape").in(pixels).attr("start", 0L).attr("end", 1L).out();
        Value clsShape = ops.op("Concat").in(batch, ops.ints(1, d)).attr("axis", 0L).out();
        Value clsBatch = ops.op("Expand").in(cls, clsShape).out();
        Value embeddings = ops.op("Concat").in(clsBatch, patches).attr("axis", 1L).out();
        Value posEmbed = lb.tensor("vision.embed.W_pos", prefix + spec.tensors().get("position_embedding"), positions, d);
        embeddings = ops.op("Add").in(embeddings, posEmbed).out();
        Value x = lb.layerNorm(embeddings, prefix + spec.tensors().get("pre_norm"), d, vc.layerNormEps(), "vision.ln_pre");
        x = lb.hook(ops.op("Identity").in(x).out(HookName.VISION_EMBED), "batch", positions, d);

        // hidden_states in Hugging Face's numbering: entry 0 is the embedding output, entry i the output of layer i-1.
        List<Integer> selected = new ArrayList<>();
        for (int layer : config.visionFeatureLayers()) {
            selected.add(layer < 0 ? vc.numLayers() + 1 + layer : layer);
        }
        int needed = selected.stream().max(Integer::compare).orElseThrow();
        List<Value> hidden = new ArrayList<>(List.of(x));
        for (int i = 0; i < needed; i++) {
            x = encoderLayer(lb, ckpt, i, x);
            hidden.add(x);
        }

        Value features = selected.size() == 1 ? hidden.get(selected.get(0))
                : ops.op("Concat").in(selected.stream().map(hidden::get).toList()).attr("axis", -1L).out();
        if (config.visionFeatureSelectStrategy().equals("default")) {
            features = ops.op("Slice").in(features, ops.ints(1), ops.ints(Long.MAX_VALUE), ops.ints(1)).out();
        }
        long featureWidth = d * selected.size();
        long tokens = config.visionFeatureSelectStrategy().equals("default") ? positions - 1 : positions;
        features = lb.hook(ops.op("Identity").in(features).out(HookName.VISION_FEATURES), "batch", tokens, featureWidth);

        long dModel = config.text().hiddenSize();
        String pp = ckpt.layout.projector();
        var l1 = ckpt.linear(ckpt.projectorSpec, pp, "linear_1", -1, featureWidth, r -> dModel, config.projectorBias());
        var l2 = ckpt.linear(ckpt.projectorSpec, pp, "linear_2", -1, dModel, r -> dModel, config.projectorBias());
        Value h = lb.linear(features, l1, "projector.linear_1");
        h = lb.activation(config.projectorHiddenAct(), h);
        h = lb.linear(h, l2, "projector.linear_2");
        Value out = lb.hook(ops.op("Identity").in(h).out(HookName.PROJECTOR_OUT), "batch", tokens, dModel);
        Value imageFeatures = ops.op("Identity").in(lb.toFloat(out)).out(GraphNames.IMAGE_FEATURES);
        imageFeatures.setType(TensorType.of(DataType.FLOAT, "batch", "image_tokens", dModel));
        lb.graph.addOutput(imageFeatures);
    }

    private static Value encoderLayer(LayerBuilder lb, LlavaCheckpoint ckpt, int i, Value x) {
        VisionConfig vc = ckpt.config.vision();
        String prefix = ckpt.layout.vision();
        var spec = ckpt.visionSpec;
        var ops = lb.ops;
        long d = vc.hiddenSize();
        long heads = vc.numHeads();
        long headDim = d / heads;
        long grid = vc.imageSize() / vc.patchSize();
        long positions = grid * grid + 1;
        String base = HookName.visionBlock(i);

        Value h = lb.layerNorm(x, prefix + spec.layerModule("norm1", i), d, vc.layerNormEps(), base + ".ln1");
        var q = ckpt.linear(spec, prefix, "q", i, d, r -> d, true);
        var k = ckpt.linear(spec, prefix, "k", i, d, r -> d, true);
        var v = ckpt.linear(spec, prefix, "v", i, d, r -> d, true);
        // CLIP scales the query projection before the product (HF CLIPAttention: q_proj(x) * scale).
        Value qs = ops.op("Mul").in(lb.linear(h, q, base + ".attn.q"), lb.constant(Math.pow(headDim, -0.5))).out();
        Value q4 = heads(lb, qs, heads, headDim, new long[] {0, 2, 1, 3});
        Value kT = heads(lb, lb.linear(h, k, base + ".attn.k"), heads, headDim, new long[] {0, 2, 3, 1});
        Value v4 = heads(lb, lb.linear(h, v, base + ".attn.v"), heads, headDim, new long[] {0, 2, 1, 3});
        Value scores = ops.op("MatMul").in(q4, kT).out();
        Value pattern = lb.softmax(scores, HookName.visionPattern(i), "batch", heads, positions, positions);
        Value z = ops.op("Transpose").in(ops.op("MatMul").in(pattern, v4).out()).attr("perm", new long[] {0, 2, 1, 3}).out();
        z = ops.op("Reshape").in(z, ops.ints(0, 0, d)).out();
        Value attnOut = lb.linear(z, ckpt.linear(spec, prefix, "o", i, d, r -> d, true), base + ".attn.o");
        x = lb.hook(ops.op("Add").in(x, attnOut).out(HookName.visionResidMid(i)), "batch", positions, d);

        Value h2 = lb.layerNorm(x, prefix + spec.layerModule("norm2", i), d, vc.layerNormEps(), base + ".ln2");
        long ff = vc.intermediateSize();
        Value m = lb.linear(h2, ckpt.linear(spec, prefix, "fc1", i, d, r -> ff, true), base + ".mlp.fc1");
        m = lb.activation(vc.hiddenAct(), m);
        m = lb.linear(m, ckpt.linear(spec, prefix, "fc2", i, ff, r -> d, true), base + ".mlp.fc2");
        return lb.hook(ops.op("Add").in(x, m).out(HookName.visionResidPost(i)), "batch", positions, d);
    }

    /** [batch, tokens, heads*headDim] -> heads split out and permuted by {@code perm}. */
    static Value heads(LayerBuilder lb, Value x, long heads, long headDim, long[] perm) {
        Value split = lb.ops.op("Reshape").in(x, lb.ops.ints(0, 0, heads, headDim)).out();
        return lb.ops.op("Transpose").in(split).attr("perm", perm).out();
    }
}
