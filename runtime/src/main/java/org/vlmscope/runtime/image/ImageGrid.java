package org.vlmscope.runtime.image;

/**
 * An image's patch grid as its vision graph sees it, Hugging Face's {@code image_grid_thw}: {@code frames}
 * (temporal patches; 1 for a still image), {@code rows} and {@code cols} of patches before any merging. A family
 * whose projector merges {@code merge x merge} patches into one visual token sees a grid of
 * {@code rows / merge x cols / merge} tokens per frame.
 */
public record ImageGrid(int frames, int rows, int cols) {
    public ImageGrid {
        if (frames <= 0 || rows <= 0 || cols <= 0) {
            throw new IllegalArgumentException("an image grid needs positive sides, got " + frames + "x" + rows + "x"
                    + cols);
        }
    }

    /** Rows of patches over all frames: the image's rows of pixel_values. */
    public int patches() {
        return frames * rows * cols;
    }

    /** Visual tokens after merging {@code merge x merge} patches, over all frames. */
    public int tokens(int merge) {
        return frames * mergedRows(merge) * mergedCols(merge);
    }

    public int mergedRows(int merge) {
        checkMerge(merge);
        return rows / merge;
    }

    public int mergedCols(int merge) {
        checkMerge(merge);
        return cols / merge;
    }

    private void checkMerge(int merge) {
        if (merge <= 0 || rows % merge != 0 || cols % merge != 0) {
            throw new IllegalArgumentException("a " + rows + "x" + cols + " patch grid does not merge by " + merge);
        }
    }

    @Override
    public String toString() {
        return frames + "x" + rows + "x" + cols;
    }
}
