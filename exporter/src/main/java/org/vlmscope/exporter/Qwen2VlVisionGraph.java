package org.vlmscope.exporter;

import ai.onnx.proto.OnnxMl.TensorProto.DataType;
import java.util.function.ToLongFunction;
import org.vlmscope.core.vocab.GraphNames;
import org.vlmscope.core.vocab.HookName;
import org.vlmscope.exporter.config.Qwen2VlVisionConfig;
import org.vlmscope.graph.Ops;
import org.vlmscope.graph.TensorType;
import org.vlmscope.graph.Value;
import org.vlmscope.models.ArchitectureSpec;

/**
 * vision.onnx of Qwen2-VL: the patch rows of all images of a call -> image_features [tokens, d_text], HF's
 * Qwen2VisionTransformerPretrainedModel. Inputs: pixel_values float [patches, channels * frames * 14 * 14] in 2x2
 * merge-window order; vision_position_ids int64 [patches, 2], each row's (row, column) on its image's patch grid
 * (HF rot_pos_emb's pos_ids); vision_segment_ids int64 [patches], the image each row belongs to (attention stays
 * inside an image, HF's cu_seqlens). The graph has no batch axis: the runtime concatenates images along the rows.
 */
final class Qwen2VlVisionGraph {
    /** HF hard-codes the epsilon of the blocks' and the merger's LayerNorms. */
    static final double LAYER_NORM_EPS = 1e-6;

    private Qwen2VlVisionGraph() {
    }

    /** What every block reads: the rotary cos and sin of the patch positions and the additive segment mask. */
    private record Shared(Value cos, Value sin, Value mask) {
    }

    static void build(LayerBuilder lb, Qwen2VlCheckpoint ckpt) {
        Qwen2VlVisionConfig vc = ckpt.config.vision();
        Ops ops = lb.ops;
        long d = vc.embedDim();
        Value pixels = lb.graph.addInput(GraphNames.PIXEL_VALUES,
                TensorType.of(DataType.FLOAT, "patches", vc.patchValues()));
        Value positions = lb.graph.addInput(GraphNames.VISION_POSITION_IDS,
                TensorType.of(DataType.INT64, "patches", 2));
        Value segments = lb.graph.addInput(GraphNames.VISION_SEGMENT_IDS, TensorType.of(DataType.INT64, "patches"));

        // A Conv3d whose kernel equals its stride and covers a whole row is one matrix product per row. Its sum of
        // 3 * 2 * 14 * 14 products runs in float32 over the compute-type pixels and weights, as a GPU convolution sums
        // fp16 values: ONNX Runtime's CPU fp16 Gemm sums in fp16 and drifted by 0.06 on the golden image.
        String patchEmbed = ckpt.layout.vision() + ckpt.visionSpec.tensors().get("patch_embedding");
        Value patchW = lb.tensor("vision.embed.W_patch", ckpt.tensor(patchEmbed, d, vc.inChannels(),
                vc.temporalPatchSize(), vc.patchSize(), vc.patchSize()), d, vc.patchValues());
        Value product = ops.op("Gemm").in(lb.toFloat(lb.toCompute(pixels)), lb.toFloat(patchW)).attr("transB", 1L).out();
        Value x = lb.toCompute(product);
        x = lb.hook(ops.op("Identity").in(x).out(HookName.VISION_EMBED), "patches", d);

        Value[] cosSin = Rotary.visionCosSin(lb, positions, vc.headDim());
        Shared shared = new Shared(cosSin[0], cosSin[1], segmentMask(lb, segments));
        for (int i = 0; i < vc.depth(); i++) {
            x = block(lb, ckpt, i, x, shared);
        }
        x = lb.hook(ops.op("Identity").in(x).out(HookName.VISION_FEATURES), "patches", d);
        merger(lb, ckpt, x);
    }

    /** Attention is allowed between rows of the same image only. */
    private static Value segmentMask(LayerBuilder lb, Value segments) {
        Ops ops = lb.ops;
        Value queries = ops.op("Unsqueeze").in(segments, ops.ints(1)).out();
        Value keys = ops.op("Unsqueeze").in(segments, ops.ints(0)).out();
        return lb.additiveMask(ops.op("Equal").in(queries, keys).out());
    }

    private static Value block(LayerBuilder lb, Qwen2VlCheckpoint ckpt, int i, Value x, Shared shared) {
        Qwen2VlVisionConfig vc = ckpt.config.vision();
        Ops ops = lb.ops;
        String prefix = ckpt.layout.vision();
        ArchitectureSpec spec = ckpt.visionSpec;
        long d = vc.embedDim();
        long heads = vc.numHeads();
        long headDim = vc.headDim();
        long ff = vc.mlpHiddenDim();
        ToLongFunction<String> rows = role -> role.equals("fc1") ? ff : d;
        String base = HookName.visionBlock(i);

        Value h = lb.layerNorm(x, prefix + spec.layerModule("norm1", i), d, LAYER_NORM_EPS, base + ".ln1");
        Value q = rotated(lb, heads(lb, lb.linear(h, ckpt.linear(spec, prefix, "q", i, d, rows, true), base + ".attn.q"),
                heads, headDim), shared, headDim);
        Value k = rotated(lb, heads(lb, lb.linear(h, ckpt.linear(spec, prefix, "k", i, d, rows, true), base + ".attn.k"),
                heads, headDim), shared, headDim);
        Value v = heads(lb, lb.linear(h, ckpt.linear(spec, prefix, "v", i, d, rows, true), base + ".attn.v"),
                heads, headDim);
        Value kT = ops.op("Transpose").in(k).attr("perm", new long[] {0, 2, 1}).out();
        Value raw = ops.op("Div").in(ops.op("MatMul").in(q, kT).out(), lb.constant(Math.sqrt(headDim))).out();
        Value scores = ops.op("Add").in(raw, shared.mask()).out();
        Value pattern = lb.softmax(scores, HookName.visionPattern(i), heads, "patches", "patches");
        Value z = ops.op("Transpose").in(ops.op("MatMul").in(pattern, v).out()).attr("perm", new long[] {1, 0, 2}).out();
        z = ops.op("Reshape").in(z, ops.ints(0, d)).out();
        Value attnOut = lb.linear(z, ckpt.linear(spec, prefix, "o", i, d, rows, true), base + ".attn.o");
        x = lb.hook(ops.op("Add").in(x, attnOut).out(HookName.visionResidMid(i)), "patches", d);

        Value h2 = lb.layerNorm(x, prefix + spec.layerModule("norm2", i), d, LAYER_NORM_EPS, base + ".ln2");
        Value m = lb.linear(h2, ckpt.linear(spec, prefix, "fc1", i, d, rows, true), base + ".mlp.fc1");
        m = lb.activation(vc.hiddenAct(), m);
        m = lb.linear(m, ckpt.linear(spec, prefix, "fc2", i, ff, rows, true), base + ".mlp.fc2");
        return lb.hook(ops.op("Add").in(x, m).out(HookName.visionResidPost(i)), "patches", d);
    }

    /** [patches, heads * head_dim] -> [heads, patches, head_dim]. */
    private static Value heads(LayerBuilder lb, Value x, long heads, long headDim) {
        Value split = lb.ops.op("Reshape").in(x, lb.ops.ints(0, heads, headDim)).out();
        return lb.ops.op("Transpose").in(split).attr("perm", new long[] {1, 0, 2}).out();
    }

    /** The 2-D rotary applied in float32, as HF's apply_rotary_pos_emb_vision does, then back to the compute type. */
    private static Value rotated(LayerBuilder lb, Value x, Shared shared, long headDim) {
        return lb.toCompute(Rotary.apply(lb, lb.toFloat(x), shared.cos(), shared.sin(), headDim));
    }

    /**
     * HF's PatchMerger: LayerNorm over each patch, the 2x2 (spatial_merge_size^2) consecutive rows of a merge window
     * concatenated into one, then Linear-GELU-Linear to the language model's width.
     */
    private static void merger(LayerBuilder lb, Qwen2VlCheckpoint ckpt, Value x) {
        Qwen2VlVisionConfig vc = ckpt.config.vision();
        Ops ops = lb.ops;
        String prefix = ckpt.layout.projector();
        ArchitectureSpec spec = ckpt.projectorSpec;
        long d = vc.embedDim();
        long merged = d * vc.spatialMergeSize() * vc.spatialMergeSize();
        long dText = ckpt.config.text().hiddenSize();
        Value n = lb.layerNorm(x, prefix + spec.layerModule("norm", -1), d, LAYER_NORM_EPS, "projector.ln_q");
        Value windows = ops.op("Reshape").in(n, ops.ints(-1, merged)).out();
        Value h = lb.linear(windows, ckpt.linear(spec, prefix, "linear_1", -1, merged, r -> merged, true),
                "projector.linear_1");
        h = lb.activation("gelu", h);
        h = lb.linear(h, ckpt.linear(spec, prefix, "linear_2", -1, merged, r -> dText, true), "projector.linear_2");
        Value out = lb.hook(ops.op("Identity").in(h).out(HookName.PROJECTOR_OUT), "image_tokens", dText);
        Value imageFeatures = ops.op("Identity").in(lb.toFloat(out)).out(GraphNames.IMAGE_FEATURES);
        imageFeatures.setType(TensorType.of(DataType.FLOAT, "image_tokens", dText));
        lb.graph.addOutput(imageFeatures);
    }
}
