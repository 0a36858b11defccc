package org.vlmscope.experiments.dataset.geometry;

import java.util.Arrays;
import java.util.BitSet;

/**
 * The {@code rows x cols} grid of visual tokens laid over the region of an image a model keeps: token {@code k}
 * is the cell at row {@code k / cols}, column {@code k % cols} (row-major). LLaVA-1.5's is 24 x 24 over its
 * centre square; Qwen2-VL's follows each image's size.
 */
public record TokenGrid(int rows, int cols) {
    /** LLaVA-1.5's grid: 336 px crops in 14 px patches. */
    public static final TokenGrid LLAVA_1_5 = new TokenGrid(24);

    public TokenGrid {
        if (rows <= 0 || cols <= 0) {
            throw new IllegalArgumentException("a token grid needs positive sides, got " + rows + "x" + cols);
        }
    }

    /** A square grid. */
    public TokenGrid(int side) {
        this(side, side);
    }

    /** The runtime's grid of the same shape. */
    public static TokenGrid of(org.vlmscope.runtime.image.TokenGrid grid) {
        return new TokenGrid(grid.rows(), grid.cols());
    }

    /** This grid as the runtime names it. */
    public org.vlmscope.runtime.image.TokenGrid runtimeGrid() {
        return new org.vlmscope.runtime.image.TokenGrid(rows, cols);
    }

    /** The side of a square grid. */
    public int side() {
        if (rows != cols) {
            throw new IllegalStateException("the " + this + " token grid is not square");
        }
        return rows;
    }

    /** The number of visual tokens. */
    public int cells() {
        return rows * cols;
    }

    /** Pixel bounds of cell {@code cell} on a {@code crop}-pixel square; see {@link #pixelBounds(int, int, int, boolean)}. */
    public int[] pixelBounds(int cell, int crop, boolean integerCells) {
        return pixelBounds(cell, crop, crop, integerCells);
    }

    /**
     * Pixel bounds {x0, y0, x1, y1} (ends exclusive) of cell {@code cell} on a {@code width x height} region.
     * Integer cells are {@code width / cols} by {@code height / rows} pixels (integer division, as the paper's code:
     * the last pixels on the right and bottom belong to no cell). Exact cells span
     * {@code [c * width / cols, (c + 1) * width / cols)} (rows likewise) and take every pixel their rectangle
     * overlaps, so a pixel on a fractional border belongs to both cells.
     */
    public int[] pixelBounds(int cell, int width, int height, boolean integerCells) {
        int row = cell / cols;
        int col = cell % cols;
        if (integerCells) {
            int px = width / cols;
            int py = height / rows;
            return new int[] {col * px, row * py, (col + 1) * px, (row + 1) * py};
        }
        return new int[] {floorFraction(col, width, cols), floorFraction(row, height, rows),
                ceilFraction(col + 1, width, cols), ceilFraction(row + 1, height, rows)};
    }

    /**
     * The cells within Chebyshev distance {@code steps} of {@code cells} (8-neighbour dilation applied
     * {@code steps} times, clipped at the grid's borders), the cells themselves included; ascending.
     */
    public int[] dilate(int[] cells, int steps) {
        BitSet current = new BitSet(cells());
        for (int c : cells) {
            current.set(c);
        }
        for (int s = 0; s < steps; s++) {
            BitSet next = (BitSet) current.clone();
            for (int c = current.nextSetBit(0); c >= 0; c = current.nextSetBit(c + 1)) {
                int row = c / cols;
                int col = c % cols;
                for (int r = Math.max(0, row - 1); r <= Math.min(rows - 1, row + 1); r++) {
                    for (int q = Math.max(0, col - 1); q <= Math.min(cols - 1, col + 1); q++) {
                        next.set(r * cols + q);
                    }
                }
            }
            current = next;
        }
        return current.stream().toArray();
    }

    /**
     * The cells whose pixels (see {@link #pixelBounds(int, int, int, boolean)}) include at least one pixel of
     * {@code mask}, the mask covering the whole region; ascending.
     */
    public int[] cellsCovering(PixelMask mask, boolean integerCells) {
        int[] out = new int[cells()];
        int n = 0;
        for (int c = 0; c < cells(); c++) {
            int[] b = pixelBounds(c, mask.width(), mask.height(), integerCells);
            if (mask.anyIn(b[0], b[1], b[2], b[3])) {
                out[n++] = c;
            }
        }
        return Arrays.copyOf(out, n);
    }

    @Override
    public String toString() {
        return rows + "x" + cols;
    }

    private static int floorFraction(int index, int pixels, int parts) {
        return (int) ((long) index * pixels / parts);
    }

    private static int ceilFraction(int index, int pixels, int parts) {
        return (int) (((long) index * pixels + parts - 1) / parts);
    }
}
