package org.vlmscope.runtime.family;

/**
 * How decoding continues a prompt's positions, Hugging Face's {@code rope_deltas}: row b's token at padded index
 * {@code length} gets {@code length + delta[b]} on every axis, where {@code delta[b] = max + 1 - promptLength}
 * and {@code max} is the largest position of the row's own prompt tokens (padding excluded). For sequential
 * positions that is {@code length - padding[b]}, what Llama's cumsum of the attention mask gives; for Qwen2-VL's
 * M-RoPE, whose image tokens share positions, it is what {@code get_rope_index} returns as rope_deltas.
 */
public final class RopeDeltas {
    private final long[] deltas;
    private final int axes;

    private RopeDeltas(long[] deltas, int axes) {
        this.deltas = deltas;
        this.axes = axes;
    }

    /** The deltas of prompt positions [axes][batch][promptLength] whose row b starts with {@code padding[b]} pad tokens. */
    public static RopeDeltas of(long[][][] prompt, int[] padding) {
        int rows = padding.length;
        int length = prompt[0][0].length;
        long[] deltas = new long[rows];
        for (int b = 0; b < rows; b++) {
            long max = Long.MIN_VALUE;
            for (long[][] axis : prompt) {
                for (int i = padding[b]; i < length; i++) {
                    max = Math.max(max, axis[b][i]);
                }
            }
            deltas[b] = max + 1 - length;
        }
        return new RopeDeltas(deltas, prompt.length);
    }

    /** position_ids [axes][batch][1] of the one token each row appends at padded index {@code length}. */
    public long[][][] at(int length) {
        long[][][] pos = new long[axes][deltas.length][1];
        for (long[][] axis : pos) {
            for (int b = 0; b < deltas.length; b++) {
                axis[b][0] = length + deltas[b];
            }
        }
        return pos;
    }
}
