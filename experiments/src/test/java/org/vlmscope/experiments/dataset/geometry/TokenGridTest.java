package org.vlmscope.experiments.dataset.geometry;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import org.junit.jupiter.api.Test;

class TokenGridTest {
    private final TokenGrid grid = TokenGrid.LLAVA_1_5;

    @Test
    void dilationIsClippedAtCorners() {
        assertArrayEquals(new int[] {0, 1, 24, 25}, grid.dilate(new int[] {0}, 1));
        assertArrayEquals(new int[] {0, 1, 2, 24, 25, 26, 48, 49, 50}, grid.dilate(new int[] {0}, 2));
        assertArrayEquals(new int[] {550, 551, 574, 575}, grid.dilate(new int[] {575}, 1));
        assertArrayEquals(new int[] {22, 23, 46, 47}, grid.dilate(new int[] {23}, 1));
        assertArrayEquals(new int[] {528, 529, 552, 553}, grid.dilate(new int[] {552}, 1));
    }

    @Test
    void dilationIsClippedAtEdges() {
        // Top edge, column 12; left edge, row 10.
        assertArrayEquals(new int[] {11, 12, 13, 35, 36, 37}, grid.dilate(new int[] {12}, 1));
        assertArrayEquals(new int[] {216, 217, 240, 241, 264, 265}, grid.dilate(new int[] {240}, 1));
        // Right edge, row 10 (cell 263), two steps: rows 8-12, columns 21-23.
        assertArrayEquals(new int[] {213, 214, 215, 237, 238, 239, 261, 262, 263, 285, 286, 287, 309, 310, 311},
                grid.dilate(new int[] {263}, 2));
    }

    @Test
    void dilationInTheMiddleIsASquare() {
        int centre = 10 * 24 + 10;
        int[] expected = new int[25];
        int n = 0;
        for (int r = 8; r <= 12; r++) {
            for (int c = 8; c <= 12; c++) {
                expected[n++] = r * 24 + c;
            }
        }
        assertArrayEquals(expected, grid.dilate(new int[] {centre}, 2));
        assertArrayEquals(new int[] {centre}, grid.dilate(new int[] {centre}, 0));
    }

    @Test
    void otherGridSides() {
        TokenGrid twelve = new TokenGrid(12);
        assertArrayEquals(new int[] {130, 131, 142, 143}, twelve.dilate(new int[] {143}, 1));
    }

    @Test
    void integerCellsLeaveTheRemainderOut() {
        // 350 / 24 = 14 px cells: the last cell ends at 336; pixels 336..349 belong to no cell.
        assertArrayEquals(new int[] {0, 0, 14, 14}, grid.pixelBounds(0, 350, true));
        assertArrayEquals(new int[] {322, 322, 336, 336}, grid.pixelBounds(575, 350, true));
    }

    @Test
    void exactCellsTakeEveryPixelTheyOverlap() {
        // 350 / 24 = 14.583: cell 1 spans [14.583, 29.167) and takes pixels 14..29; the last cell ends at 350.
        assertArrayEquals(new int[] {14, 0, 30, 15}, grid.pixelBounds(1, 350, false));
        assertArrayEquals(new int[] {335, 335, 350, 350}, grid.pixelBounds(575, 350, false));
        assertArrayEquals(new int[] {14, 14, 28, 28}, grid.pixelBounds(25, 336, false));
    }

    @Test
    void cellAlignedSquareCoversExactlyItsCells() {
        // A 28x28 square at (14, 28) on a 336 crop: cells rows 2-3, columns 1-2, in both fidelities.
        PixelMask mask = PolygonRasterizer.rasterize(PolygonRasterizerTest.square(14, 28, 42, 56), 336, 336);
        int[] expected = {49, 50, 73, 74};
        assertArrayEquals(expected, grid.cellsCovering(mask, true));
        assertArrayEquals(expected, grid.cellsCovering(mask, false));
    }
}
