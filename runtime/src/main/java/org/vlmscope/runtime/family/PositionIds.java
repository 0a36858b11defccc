package org.vlmscope.runtime.family;

/**
 * A model family's position_ids for a left-padded batch (row b starts with {@code padding[b]} pad tokens):
 * [batch, positions] for LLaVA's rotary positions; a family with multi-axis positions (Qwen2-VL's M-RoPE) brings
 * its own implementation with the decoder graph that reads it.
 */
public interface PositionIds {
    /** position_ids [batch, length] of the prompts. */
    long[][] prompt(int[] padding, int length);

    /** position_ids [batch, 1] of the one token each row appends at index {@code length} (padding included). */
    long[][] next(int[] padding, int length);
}
