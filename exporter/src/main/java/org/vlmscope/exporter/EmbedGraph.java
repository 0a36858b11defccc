package org.vlmscope.exporter;

import ai.onnx.proto.OnnxMl.TensorProto.DataType;
import org.vlmscope.core.vocab.GraphNames;
import org.vlmscope.core.vocab.HookName;
import org.vlmscope.graph.TensorType;
import org.vlmscope.graph.Value;

/**
 * embed.onnx: input_ids [batch, seq] and image_features [batch, image_tokens, d_model] -> inputs_embeds
 * [batch, seq, d_model]. Token embeddings everywhere, except that the k-th image-token position of a row takes
 * the k-th visual token of that row. The caller guarantees the count of image tokens per row equals
 * image_tokens (zero image tokens with an empty image_features is a text-only run).
 */
final class EmbedGraph {
    private EmbedGraph() {
    }

    static void build(LayerBuilder lb, TextModel m) {
        var ops = lb.ops;
        var tc = m.config();
        long d = tc.hiddenSize();
        Value ids = lb.graph.addInput(GraphNames.INPUT_IDS, TensorType.of(DataType.INT64, "batch", "sequence"));
        Value features = lb.graph.addInput(GraphNames.IMAGE_FEATURES,
                TensorType.of(DataType.FLOAT, "batch", "image_tokens", d));
        Value table = lb.tensor("embed.W_E", m.prefix() + m.spec().tensors().get("embed_tokens"),
                tc.vocabSize(), d);

        Value isImage = ops.op("Equal").in(ids, ops.scalarInt(m.imageTokenId())).out();
        // The image token id may lie outside the vocabulary; those positions are overwritten anyway.
        Value safeIds = ops.op("Where").in(isImage, ops.scalarInt(0), ids).out();
        Value tokens = lb.hook(ops.op("Gather").in(table, safeIds).attr("axis", 0L).out(HookName.EMBED), "batch", "sequence", d);

        // One gather from [visual tokens | token embeddings] along the sequence: image position k reads row
        // (number of image tokens before it), text position s reads row image_tokens + s. Every index is valid
        // even when a row has no image, so text-only runs need no separate graph.
        Value imageRank = ops.op("Sub").in(
                ops.op("CumSum").in(ops.op("Cast").in(isImage).attr("to", (long) DataType.INT64_VALUE).out(),
                        ops.scalarInt(1)).out(),
                ops.scalarInt(1)).out();
        Value imageCount = ops.op("Shape").in(features).attr("start", 1L).attr("end", 2L).out();
        Value seqLen = ops.op("Shape").in(ids).attr("start", 1L).attr("end", 2L).out();
        Value positions = ops.op("Range").in(ops.scalarInt(0), squeeze(lb, seqLen), ops.scalarInt(1)).out();
        Value textRow = ops.op("Add").in(positions, imageCount).out();
        Value row = ops.op("Where").in(isImage, imageRank, textRow).out();
        Value source = ops.op("Concat").in(features, lb.toFloat(tokens)).attr("axis", 1L).out();
        Value embeds = ops.op("GatherND").in(source, ops.op("Unsqueeze").in(row, ops.ints(-1)).out())
                .attr("batch_dims", 1L).out(GraphNames.INPUTS_EMBEDS);
        embeds.setType(TensorType.of(DataType.FLOAT, "batch", "sequence", d));
        lb.graph.addOutput(embeds);
    }

    static Value squeeze(LayerBuilder lb, Value oneElement) {
        return lb.ops.op("Squeeze").in(oneElement, lb.ops.ints(0)).out();
    }
}
