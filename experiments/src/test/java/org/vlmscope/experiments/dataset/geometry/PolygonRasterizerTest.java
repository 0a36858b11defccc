package org.vlmscope.experiments.dataset.geometry;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

/**
 * pycocotools' polygon rasteriser against cases worked out by hand from its algorithm (scale by 5, walk edges,
 * sample each pixel column at its centre, rows from {@code ceil(y - 0.4)}, parity in column-major order).
 */
class PolygonRasterizerTest {

    @Test
    void integerSquareCoversExactlyItsPixels() {
        // Edges at integer x: columns a..a+p-1 are sampled; the top edge opens row ceil(b - 0.4) = b and the bottom
        // edge closes at ceil(b + p - 0.4) = b + p.
        for (int a = 0; a <= 5; a++) {
            for (int b = 0; b <= 5; b++) {
                for (int p = 1; p <= 6; p++) {
                    PixelMask m = PolygonRasterizer.rasterize(square(a, b, a + p, b + p), 12, 12);
                    for (int y = 0; y < 12; y++) {
                        for (int x = 0; x < 12; x++) {
                            boolean inside = x >= a && x < a + p && y >= b && y < b + p;
                            assertEquals(inside, m.get(x, y), "square " + a + "," + b + " side " + p + " at " + x
                                    + "," + y);
                        }
                    }
                }
            }
        }
    }

    @Test
    void rightTriangleLosesItsHypotenuseRow() {
        // (0,0),(10,0),(0,10): the hypotenuse x + y = 10 crosses column x at scaled v = 47 - 5x, so the column's
        // bottom boundary is ceil((47.5 - 5x) / 5 - 0.5) = 9 - x; the top edge opens row 0. Column x holds rows
        // 0..8-x: 45 pixels where the exact area is 50.
        PixelMask m = PolygonRasterizer.rasterize(new double[] {0, 0, 10, 0, 0, 10}, 12, 12);
        for (int x = 0; x < 12; x++) {
            for (int y = 0; y < 12; y++) {
                assertEquals(y <= 8 - x, m.get(x, y), "pixel " + x + "," + y);
            }
        }
        assertEquals(45, m.count());
    }

    @Test
    void fractionalSquareTakesThePixelsWhoseCentresItHolds() {
        // 0.4 and 2.6 scale to 2 and 13: columns 0, 1, 2 (scaled 2, 7, 12) and rows ceil(0.1 - 0.5) = 0 to
        // ceil(13.5 / 5 - 0.5) = 3, exclusive: a 3x3 block.
        PixelMask m = PolygonRasterizer.rasterize(square(0.4, 0.4, 2.6, 2.6), 5, 5);
        for (int x = 0; x < 5; x++) {
            for (int y = 0; y < 5; y++) {
                assertEquals(x < 3 && y < 3, m.get(x, y), "pixel " + x + "," + y);
            }
        }
    }

    @Test
    void boundaryBelowTheLastRowSpillsIntoTheNextColumnAndCancels() {
        // (0,0)-(4,4) on 3x3: column 3 lies beyond w - 1 and is skipped; the bottom edge's row ceil(3.6) is clamped
        // to h = 3, i.e. position x*3 + 3, the top of the next column, where the next column's top boundary
        // cancels it. The whole raster is set.
        PixelMask m = PolygonRasterizer.rasterize(square(0, 0, 4, 4), 3, 3);
        assertEquals(9, m.count());
    }

    @Test
    void polygonLeftOfTheRasterSetsNothing() {
        PixelMask m = PolygonRasterizer.rasterize(square(-6, 0, -2, 4), 5, 5);
        assertEquals(0, m.count());
    }

    @Test
    void repeatedVerticesChangeNothing() {
        PixelMask plain = PolygonRasterizer.rasterize(square(1, 1, 4, 4), 6, 6);
        PixelMask repeated = PolygonRasterizer.rasterize(new double[] {1, 1, 1, 1, 4, 1, 4, 4, 4, 4, 1, 4}, 6, 6);
        for (int x = 0; x < 6; x++) {
            for (int y = 0; y < 6; y++) {
                assertEquals(plain.get(x, y), repeated.get(x, y));
            }
        }
        assertEquals(9, plain.count());
    }

    @Test
    void anyRectangleFollowsTheClosedForm() {
        // A rectangle's horizontal edges are walked at scaled rows Y = (int)(5y + 0.5); they cross pixel column x
        // where 5x + 2 lies in [X0, X1 - 1], and open and close rows ceil((Y + 0.5) / 5 - 0.5), clamped at 0. With
        // y1 <= h - 1 no boundary reaches row h, so the mask is those columns times rows [top, bottom).
        java.util.Random random = new java.util.Random(7);
        int w = 12;
        int h = 10;
        for (int n = 0; n < 2000; n++) {
            double x0 = -3 + random.nextDouble() * 17;
            double x1 = x0 + random.nextDouble() * 8;
            double y0 = -3 + random.nextDouble() * 11;
            double y1 = Math.min(h - 1, y0 + random.nextDouble() * 8);
            PixelMask m = PolygonRasterizer.rasterize(square(x0, y0, x1, y1), w, h);
            int bigX0 = (int) (5 * x0 + 0.5);
            int bigX1 = (int) (5 * x1 + 0.5);
            int top = (int) Math.ceil(Math.max(0, ((int) (5 * y0 + 0.5) + 0.5) / 5 - 0.5));
            int bottom = (int) Math.ceil(Math.max(0, ((int) (5 * y1 + 0.5) + 0.5) / 5 - 0.5));
            for (int x = 0; x < w; x++) {
                boolean column = 5 * x + 2 >= bigX0 && 5 * x + 2 <= bigX1 - 1;
                for (int y = 0; y < h; y++) {
                    assertEquals(column && y >= top && y < bottom, m.get(x, y), "rectangle " + x0 + "," + y0 + " - "
                            + x1 + "," + y1 + " at pixel " + x + "," + y);
                }
            }
        }
    }

    static double[] square(double x0, double y0, double x1, double y1) {
        return new double[] {x0, y0, x1, y0, x1, y1, x0, y1};
    }
}
