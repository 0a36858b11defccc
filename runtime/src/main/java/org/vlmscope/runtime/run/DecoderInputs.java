package org.vlmscope.runtime.run;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtSession;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.vlmscope.core.SafetensorsWriter.NamedTensor;
import org.vlmscope.core.vocab.GraphNames;
import org.vlmscope.runtime.session.ModelSession;
import org.vlmscope.runtime.session.OrtTensors;

/**
 * The decoder's inputs for one run, built in one place: input embeddings [batch, seq, d_model], attention_mask
 * [batch, past + seq], position_ids ([batch, seq], or [axes, batch, seq] for a multi-axis rotary) and one past key and value per layer, either empty (a prompt) or
 * the previous run's present tensors (a decode step). Closing releases the tensors made here; a previous run's
 * cache stays with that run.
 */
public final class DecoderInputs implements AutoCloseable {
    private final Map<String, OnnxTensor> inputs = new HashMap<>();
    private final List<OnnxTensor> owned = new ArrayList<>();

    private DecoderInputs() {
    }

    /**
     * A prompt run with an empty cache. Takes ownership of {@code embeds}.
     *
     * @param mask      [batch, seq], 0 on padding
     * @param positions [axes][batch][seq] (see {@link org.vlmscope.runtime.family.PositionIds})
     */
    public static DecoderInputs prompt(ModelSession session, OnnxTensor embeds, long[][] mask, long[][][] positions) {
        DecoderInputs d = new DecoderInputs();
        try {
            d.common(session, embeds, mask, positions);
            for (int i = 0; i < session.manifest().dims().layers(); i++) {
                d.own(GraphNames.pastKey(i), session.emptyCache(mask.length));
                d.own(GraphNames.pastValue(i), session.emptyCache(mask.length));
            }
            return d;
        } catch (RuntimeException e) {
            d.close();
            throw e;
        }
    }

    /**
     * A prompt of {@code batch} unpadded rows of {@code seq} positions from float32 embeddings
     * ({@code batch * seq * d_model} values): a full mask, positions 0..seq-1, an empty cache.
     */
    public static DecoderInputs prompt(ModelSession session, float[] embeds, int batch, int seq) {
        return prompt(session, embeds, batch, new long[][][] {Inputs.range(1, 0, seq)});
    }

    /**
     * As above with the position ids of one unpadded prompt, [axes][1][seq] (a family's own numbering, e.g.
     * Qwen2-VL's M-RoPE), the same for every row.
     */
    public static DecoderInputs prompt(ModelSession session, float[] embeds, int batch, long[][][] rowPositions) {
        int seq = rowPositions[0][0].length;
        int d = session.manifest().dims().dModel();
        OnnxTensor tensor = OrtTensors.toOrt(session.env(), NamedTensor.ofFloats(GraphNames.INPUTS_EMBEDS,
                new long[] {batch, seq, d}, embeds));
        long[][][] positions = new long[rowPositions.length][batch][];
        for (int axis = 0; axis < positions.length; axis++) {
            for (int b = 0; b < batch; b++) {
                positions[axis][b] = rowPositions[axis][0];
            }
        }
        return prompt(session, tensor, Inputs.filled(batch, seq, 1), positions);
    }

    /**
     * A decode step whose past is {@code previous}'s present tensors (not copied, not owned). Takes ownership of
     * {@code embeds}.
     *
     * @param mask      [batch, past + seq]
     * @param positions [axes][batch][seq] of the new tokens
     */
    public static DecoderInputs step(ModelSession session, OnnxTensor embeds, long[][] mask, long[][][] positions,
                                     OrtSession.Result previous) {
        DecoderInputs d = new DecoderInputs();
        try {
            d.common(session, embeds, mask, positions);
            for (int i = 0; i < session.manifest().dims().layers(); i++) {
                d.inputs.put(GraphNames.pastKey(i), (OnnxTensor) previous.get(GraphNames.presentKey(i)).orElseThrow());
                d.inputs.put(GraphNames.pastValue(i), (OnnxTensor) previous.get(GraphNames.presentValue(i)).orElseThrow());
            }
            return d;
        } catch (RuntimeException e) {
            d.close();
            throw e;
        }
    }

    /**
     * Adds the input that picks the positions where the variant with the logit-positions pass computes logits
     * ({@code -1} the last); returns this.
     */
    public DecoderInputs logitsAt(ModelSession session, long... positions) {
        own(GraphNames.LOGIT_POSITIONS, Inputs.vector(session.env(), positions));
        return this;
    }

    private void common(ModelSession session, OnnxTensor embeds, long[][] mask, long[][][] positions) {
        own(GraphNames.INPUTS_EMBEDS, embeds);
        own(GraphNames.ATTENTION_MASK, Inputs.longs(session.env(), mask));
        own(GraphNames.POSITION_IDS, Inputs.positions(session.env(), positions));
    }

    private void own(String name, OnnxTensor t) {
        owned.add(t);
        inputs.put(name, t);
    }

    /** The inputs by graph input name; valid until {@link #close}. */
    public Map<String, OnnxTensor> map() {
        return inputs;
    }

    /** The input embeddings [batch, seq, d_model]. */
    public OnnxTensor embeds() {
        return inputs.get(GraphNames.INPUTS_EMBEDS);
    }

    @Override
    public void close() {
        owned.forEach(OnnxTensor::close);
        owned.clear();
    }
}
