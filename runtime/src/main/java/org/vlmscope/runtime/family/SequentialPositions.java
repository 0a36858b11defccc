package org.vlmscope.runtime.family;

import java.util.List;
import org.vlmscope.runtime.image.ImageGrid;

/**
 * Positions as Hugging Face derives them for a left-padded Llama-style batch: cumsum(attention_mask) - 1, with 1 on
 * padding, so every row's own tokens count from 0. One axis.
 */
public final class SequentialPositions implements PositionIds {
    @Override
    public long[][][] prompt(long[][] ids, int[] padding, List<ImageGrid> grids) {
        int length = ids.length == 0 ? 0 : ids[0].length;
        long[][] pos = new long[padding.length][length];
        for (int b = 0; b < padding.length; b++) {
            for (int i = 0; i < length; i++) {
                pos[b][i] = i < padding[b] ? 1 : i - padding[b];
            }
        }
        return new long[][][] {pos};
    }
}
