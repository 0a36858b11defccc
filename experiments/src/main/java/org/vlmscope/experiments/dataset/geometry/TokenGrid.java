package org.vlmscope.experiments.dataset.geometry;

import java.util.Arrays;
import java.util.BitSet;

/**
 * The {@code side x side} grid of visual tokens laid over a square crop: token {@code k} is the cell at row
 * {@code k / side}, column {@code k % side} (row-major). The side comes from the model (LLaVA-1.5: 24).
 */
public record TokenGrid(int side) {
    /** LLaVA-1.5's grid: 336 px crops in 14 px patches. */
    public static final TokenGrid LLAVA_1_5 = new TokenGrid(24);

    public TokenGrid {
        if (side <= 0) {
            throw new IllegalArgumentException("a token grid needs a positive side, got " + side);
        }
    }

    /** The number of visual tokens. */
    public int cells() {
        return side * side;
    }

    /**
     * Pixel bounds {x0, y0, x1, y1} (ends exclusive) of cell {@code cell} on a {@code crop}-pixel square.
     * Integer cells are {@code crop / side} pixels wide (integer division, as the paper's code: the last pixels on
     * the right and bottom belong to no cell). Exact cells span {@code [c * crop / side, (c + 1) * crop / side)}
     * and take every pixel their square overlaps, so a pixel on a fractional border belongs to both cells.
     */
    public int[] pixelBounds(int cell, int crop, boolean integerCells) {
        int row = cell / side;
        int col = cell % side;
        if (integerCells) {
            int p = crop / side;
            return new int[] {col * p, row * p, (col + 1) * p, (row + 1) * p};
        }
        return new int[] {floorFraction(col, crop), floorFraction(row, crop), ceilFraction(col + 1, crop),
                ceilFraction(row + 1, crop)};
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
                int row = c / side;
                int col = c % side;
                for (int r = Math.max(0, row - 1); r <= Math.min(side - 1, row + 1); r++) {
                    for (int q = Math.max(0, col - 1); q <= Math.min(side - 1, col + 1); q++) {
                        next.set(r * side + q);
                    }
                }
            }
            current = next;
        }
        return current.stream().toArray();
    }

    /** The cells whose pixels (see {@link #pixelBounds}) include at least one pixel of {@code mask}; ascending. */
    public int[] cellsCovering(PixelMask mask, boolean integerCells) {
        if (mask.width() != mask.height()) {
            throw new IllegalArgumentException("the crop mask must be square, got " + mask.width() + "x"
                    + mask.height());
        }
        int[] out = new int[cells()];
        int n = 0;
        for (int c = 0; c < cells(); c++) {
            int[] b = pixelBounds(c, mask.width(), integerCells);
            if (mask.anyIn(b[0], b[1], b[2], b[3])) {
                out[n++] = c;
            }
        }
        return Arrays.copyOf(out, n);
    }

    private int floorFraction(int index, int crop) {
        return (int) ((long) index * crop / side);
    }

    private int ceilFraction(int index, int crop) {
        return (int) (((long) index * crop + side - 1) / side);
    }
}
