package org.vlmscope.runtime.run;

import java.util.List;
import org.vlmscope.core.VlmscopeException;
import org.vlmscope.runtime.family.PositionIds;
import org.vlmscope.runtime.family.RopeDeltas;
import org.vlmscope.runtime.image.ImageGrid;

/**
 * Prompts of different lengths as one left-padded batch, as Hugging Face pads for generation: row b starts
 * with {@code padding[b]} pad tokens that the attention mask hides, so every row's last prompt token sits at the
 * same index and new tokens are appended in step. Positions the user names (interventions) are relative to a
 * row's own prompt; {@link #absolute} shifts them past the padding.
 */
final class Batch {
    final long[][] ids;
    final int[] padding;
    /** position_ids of the prompt [axes][batch][length], numbered by the model family. */
    private final long[][][] promptPositions;
    private final RopeDeltas continuation;
    /** Number of positions so far, prompt plus generated tokens, padding included. */
    private int length;

    private Batch(long[][] ids, int[] padding, PositionIds positions, List<ImageGrid> grids) {
        this.ids = ids;
        this.padding = padding;
        this.length = ids[0].length;
        this.promptPositions = positions.prompt(ids, padding, grids);
        this.continuation = RopeDeltas.of(promptPositions, padding);
    }

    /**
     * Left-pads {@code rows} to the longest with {@code padId}; the model family numbers the positions, given the
     * grids of the batch's images in order (empty for a fixed grid).
     */
    static Batch leftPadded(long[][] rows, long padId, PositionIds positions, List<ImageGrid> grids) {
        if (rows.length == 0) {
            throw new VlmscopeException("input_ids hold no rows");
        }
        int longest = 0;
        for (long[] row : rows) {
            longest = Math.max(longest, row.length);
        }
        long[][] ids = new long[rows.length][longest];
        int[] padding = new int[rows.length];
        for (int b = 0; b < rows.length; b++) {
            padding[b] = longest - rows[b].length;
            java.util.Arrays.fill(ids[b], 0, padding[b], padId);
            System.arraycopy(rows[b], 0, ids[b], padding[b], rows[b].length);
        }
        return new Batch(ids, padding, positions, grids);
    }

    int size() {
        return ids.length;
    }

    int length() {
        return length;
    }

    /** Shortest row's own length: positions below it exist in every row. */
    int shortestRow() {
        int max = 0;
        for (int p : padding) {
            max = Math.max(max, p);
        }
        return length - max;
    }

    /** The batch index of position {@code p} of row {@code b}'s own sequence. */
    int absolute(int b, int p) {
        return padding[b] + p;
    }

    /** attention_mask [batch, length]: 0 on padding, 1 elsewhere. */
    long[][] attentionMask() {
        long[][] mask = new long[size()][length];
        for (int b = 0; b < size(); b++) {
            java.util.Arrays.fill(mask[b], padding[b], length, 1);
        }
        return mask;
    }

    /** position_ids of the prompt [axes][batch][prompt length]. */
    long[][][] promptPositions() {
        return promptPositions;
    }

    /** Records one new token per row; returns the position_ids [axes][batch][1] of those tokens. */
    long[][][] append() {
        long[][][] pos = continuation.at(length);
        length++;
        return pos;
    }
}
