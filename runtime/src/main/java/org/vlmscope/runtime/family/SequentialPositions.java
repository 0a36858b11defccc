package org.vlmscope.runtime.family;

/**
 * Positions as Hugging Face derives them for a left-padded Llama-style batch: cumsum(attention_mask) - 1, with 1 on
 * padding, so every row's own tokens count from 0.
 */
public final class SequentialPositions implements PositionIds {
    @Override
    public long[][] prompt(int[] padding, int length) {
        long[][] pos = new long[padding.length][length];
        for (int b = 0; b < padding.length; b++) {
            for (int i = 0; i < length; i++) {
                pos[b][i] = i < padding[b] ? 1 : i - padding[b];
            }
        }
        return pos;
    }

    @Override
    public long[][] next(int[] padding, int length) {
        long[][] pos = new long[padding.length][1];
        for (int b = 0; b < padding.length; b++) {
            pos[b][0] = length - padding[b];
        }
        return pos;
    }
}
