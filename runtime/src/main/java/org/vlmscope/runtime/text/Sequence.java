package org.vlmscope.runtime.text;

import java.util.Arrays;
import org.vlmscope.core.VlmscopeException;
import org.vlmscope.runtime.image.TokenGrid;
import org.vlmscope.runtime.run.ImageTokens;

/**
 * The LM input of one image and prompt: {@code [BOS, text before <image>, visualTokens visual tokens, text after]}
 * (EXPERIMENTS.md, "Positions"). {@code ids} is expanded (one image-token id per visual token); {@code start} is the
 * position of the first visual token, which is the index of the placeholder in the tokenized, unexpanded prompt
 * (BOS included). Visual token {@code k} sits at position {@code start + k} and, row-major on a grid
 * {@code gridWidth} wide, in cell {@code (k / gridWidth, k % gridWidth)}.
 */
public record Sequence(long[] ids, int start, int visualTokens, int gridWidth) {

    /** A cell of the visual-token grid, row 0 at the top, column 0 at the left. */
    public record Cell(int row, int col) {
    }

    public Sequence {
        if (visualTokens <= 0 || gridWidth <= 0 || visualTokens % gridWidth != 0) {
            throw new IllegalArgumentException(visualTokens + " visual tokens do not fill rows of width " + gridWidth);
        }
        if (start < 0 || start + visualTokens > ids.length) {
            throw new IllegalArgumentException("visual tokens at positions " + start + "-" + (start + visualTokens - 1)
                    + " do not fit a sequence of " + ids.length);
        }
        ids = ids.clone();
    }

    /**
     * Expands the one image placeholder of {@code promptIds} (a tokenized prompt, BOS included) to
     * {@code visualTokens} image-token ids; the visual tokens start where the placeholder was.
     */
    public static Sequence expand(long[] promptIds, long imageTokenId, int visualTokens, int gridWidth) {
        int count = ImageTokens.count(promptIds, imageTokenId);
        if (count != 1) {
            throw new VlmscopeException("the tokenized prompt holds " + count + " image placeholders (id "
                    + imageTokenId + "); expected exactly one, where the image goes: " + Arrays.toString(promptIds));
        }
        int placeholder = 0;
        while (promptIds[placeholder] != imageTokenId) {
            placeholder++;
        }
        return new Sequence(ImageTokens.expand(promptIds, imageTokenId, visualTokens), placeholder, visualTokens,
                gridWidth);
    }

    /**
     * The sequence of ids whose image is already expanded: its one run of {@code grid.tokens()} image tokens lies on
     * {@code grid} (an image's own grid, for a family whose grid depends on the image).
     */
    public static Sequence ofExpanded(long[] ids, long imageTokenId, TokenGrid grid) {
        int start = 0;
        while (start < ids.length && ids[start] != imageTokenId) {
            start++;
        }
        int count = ImageTokens.count(ids, imageTokenId);
        int run = 0;
        while (start + run < ids.length && ids[start + run] == imageTokenId) {
            run++;
        }
        if (count != grid.tokens() || run != count) {
            throw new VlmscopeException("the ids hold " + count + " image tokens (id " + imageTokenId + ")"
                    + (run != count ? " in more than one run" : "") + "; expected one run of " + grid.tokens()
                    + " for a " + grid + " grid of visual tokens");
        }
        return new Sequence(ids, start, grid.tokens(), grid.cols());
    }

    @Override
    public long[] ids() {
        return ids.clone();
    }

    public int length() {
        return ids.length;
    }

    public int gridHeight() {
        return visualTokens / gridWidth;
    }

    /** Position of visual token {@code k}. */
    public int position(int k) {
        checkVisualIndex(k);
        return start + k;
    }

    /** Position of the visual token in grid cell ({@code row}, {@code col}). */
    public int position(int row, int col) {
        return start + visualIndex(row, col);
    }

    public boolean isVisual(int position) {
        return position >= start && position < start + visualTokens;
    }

    /** Index {@code k} of the visual token at {@code position}. */
    public int visualIndex(int position) {
        if (!isVisual(position)) {
            throw new IllegalArgumentException("position " + position + " is not a visual token; they are at "
                    + start + "-" + (start + visualTokens - 1));
        }
        return position - start;
    }

    /** Index {@code k} of the visual token in grid cell ({@code row}, {@code col}). */
    public int visualIndex(int row, int col) {
        if (row < 0 || row >= gridHeight() || col < 0 || col >= gridWidth) {
            throw new IllegalArgumentException("cell (" + row + ", " + col + ") is outside the " + gridHeight() + "x"
                    + gridWidth + " grid");
        }
        return row * gridWidth + col;
    }

    /** Grid cell of visual token {@code k}. */
    public Cell cell(int k) {
        checkVisualIndex(k);
        return new Cell(k / gridWidth, k % gridWidth);
    }

    /** Positions {@code start .. start + visualTokens - 1}. */
    public int[] visualPositions() {
        return range(start, start + visualTokens);
    }

    /** Positions of the prompt text after the image, up to the last position. */
    public int[] textPositionsAfterImage() {
        return range(start + visualTokens, ids.length);
    }

    /** The last position: where the next token is predicted. */
    public int lastPosition() {
        return ids.length - 1;
    }

    private void checkVisualIndex(int k) {
        if (k < 0 || k >= visualTokens) {
            throw new IllegalArgumentException("visual token " + k + " is outside 0-" + (visualTokens - 1));
        }
    }

    private static int[] range(int from, int to) {
        int[] out = new int[to - from];
        for (int i = 0; i < out.length; i++) {
            out[i] = from + i;
        }
        return out;
    }

    /** By content: a record's default would compare the id arrays by identity. */
    @Override
    public boolean equals(Object o) {
        return o instanceof Sequence s && Arrays.equals(ids, s.ids) && start == s.start
                && visualTokens == s.visualTokens && gridWidth == s.gridWidth;
    }

    @Override
    public int hashCode() {
        return 31 * (31 * (31 * Arrays.hashCode(ids) + start) + visualTokens) + gridWidth;
    }

    @Override
    public String toString() {
        return "Sequence[" + ids.length + " ids, visual tokens " + start + "-" + (start + visualTokens - 1) + " on a "
                + gridHeight() + "x" + gridWidth + " grid]";
    }
}
