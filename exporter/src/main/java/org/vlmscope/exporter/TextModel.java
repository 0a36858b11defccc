package org.vlmscope.exporter;

import ai.onnx.proto.OnnxMl.TensorProto.DataType;
import org.vlmscope.core.vocab.GraphNames;
import org.vlmscope.exporter.config.TextConfig;
import org.vlmscope.graph.TensorType;
import org.vlmscope.graph.Value;
import org.vlmscope.models.ArchitectureSpec;

/**
 * The language model the embed and decoder graphs are built from, whatever the family: its config, where its tensors
 * are (the text prefix, the architecture spec, the lm_head key), whether o_proj has a bias (Llama: with q/k/v;
 * Qwen2: never), how the decoder's {@code position_ids} input becomes rotary cos and sin, and the image token whose
 * positions the embed graph fills with visual tokens.
 */
record TextModel(HfCheckpoint checkpoint, TextConfig config, String prefix, ArchitectureSpec spec, String lmHead,
                 boolean outputBias, RotaryPositions positions, long imageTokenId) {

    /** Declares the decoder's position_ids input and turns it into cos and sin [batch, 1, seq, head_dim]. */
    interface RotaryPositions {
        Value[] cosSin(LayerBuilder lb, TextConfig tc);
    }

    /** One position per token: position_ids int64 [batch, sequence] (Llama, Mistral, Phi-3). */
    static final RotaryPositions SEQUENTIAL_POSITIONS = (lb, tc) -> Rotary.cosSin(lb,
            lb.graph.addInput(GraphNames.POSITION_IDS, TensorType.of(DataType.INT64, "batch", "sequence")), tc);
}
