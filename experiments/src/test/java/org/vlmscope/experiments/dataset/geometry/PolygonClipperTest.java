package org.vlmscope.experiments.dataset.geometry;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

class PolygonClipperTest {
    @Test
    void insideIsUnchanged() {
        double[] square = {1, 1, 5, 1, 5, 5, 1, 5};
        assertArrayEquals(square, PolygonClipper.clipToRectangle(square, 10, 10), 0);
    }

    @Test
    void overhangIsCutAtTheBorder() {
        // A square from x = -4 to 4 loses its left half: the part left spans x 0..4.
        double[] clipped = PolygonClipper.clipToRectangle(new double[] {-4, 2, 4, 2, 4, 6, -4, 6}, 10, 10);
        assertArrayEquals(new double[] {0, 2, 4, 2, 4, 6, 0, 6}, sortedRing(clipped), 1e-12);
    }

    @Test
    void diagonalEdgeIsCutWhereItCrosses() {
        // Triangle (-10,5), (10,5), (10,25): its hypotenuse y = x + 15 meets x = 0 at y = 15.
        double[] clipped = PolygonClipper.clipToRectangle(new double[] {-10, 5, 10, 5, 10, 25}, 40, 40);
        assertArrayEquals(new double[] {0, 5, 10, 5, 10, 25, 0, 15}, sortedRing(clipped), 1e-12);
    }

    @Test
    void outsideLeavesNothing() {
        assertEquals(0, PolygonClipper.clipToRectangle(new double[] {-5, 1, -1, 1, -1, 4}, 10, 10).length);
    }

    /** The ring rotated to start at its vertex with the smallest (y, x), for order-free comparison. */
    private static double[] sortedRing(double[] xy) {
        int n = xy.length / 2;
        int best = 0;
        for (int i = 1; i < n; i++) {
            if (xy[2 * i + 1] < xy[2 * best + 1] || xy[2 * i + 1] == xy[2 * best + 1] && xy[2 * i] < xy[2 * best]) {
                best = i;
            }
        }
        double[] out = new double[xy.length];
        for (int i = 0; i < n; i++) {
            out[2 * i] = xy[2 * ((best + i) % n)];
            out[2 * i + 1] = xy[2 * ((best + i) % n) + 1];
        }
        return out;
    }
}
