package org.vlmscope.runtime.family;

import java.util.List;
import org.vlmscope.runtime.image.ImageGrid;

/**
 * A model family's position_ids for a left-padded batch (row b starts with {@code padding[b]} pad tokens), on
 * one axis for LLaVA's rotary positions ([batch, positions]) or on several for a multi-axis rotary (Qwen2-VL's
 * M-RoPE: [3, batch, positions]). Decoding continues every family's rows the same way: see {@link RopeDeltas}.
 */
public interface PositionIds {
    /**
     * position_ids [axes][batch][length] of the prompts {@code ids} (padding included, image placeholders
     * expanded); {@code grids} are the batch's images in the order their tokens appear, row after row (empty when
     * the family's grid is fixed). With one axis the decoder takes [batch, length], with more [axes, batch, length].
     */
    long[][][] prompt(long[][] ids, int[] padding, List<ImageGrid> grids);
}
