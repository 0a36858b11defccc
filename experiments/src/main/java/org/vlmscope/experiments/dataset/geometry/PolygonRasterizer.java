package org.vlmscope.experiments.dataset.geometry;

import java.util.Arrays;

/**
 * Rasterises a polygon exactly as pycocotools does ({@code mask.frPyObjects} on a polygon list, i.e. the C
 * function {@code rleFrPoly}), because the paper's object cells are defined by that rasteriser.
 *
 * <p>The algorithm, restated: vertices are scaled by 5 and rounded ({@code (int)(5v + 0.5)}); every edge is walked
 * densely along its major axis (one step per scaled unit, the minor coordinate rounded the same way), walking
 * the edge from its lower end when that end is the later vertex. Wherever the walk moves to another scaled
 * column, the column is a pixel column when {@code (min(u) + 0.5) / 5 - 0.5} is an integer {@code x} in
 * {@code [0, w-1]}; that column gets a boundary at row {@code ceil(clamp((min(v) + 0.5) / 5 - 0.5, 0, h))}.
 * Boundaries are positions {@code x * h + y} in column-major order; the mask is the parity of the boundaries at
 * or before each position (two boundaries at one position cancel, and a boundary at row {@code h} falls on the
 * first pixel of the next column, as in pycocotools).
 */
public final class PolygonRasterizer {
    private static final double SCALE = 5;

    private PolygonRasterizer() {
    }

    /**
     * The pixels of the polygon {@code xy} (x0, y0, x1, y1, ...; at least one vertex) on a
     * {@code width x height} raster.
     */
    public static PixelMask rasterize(double[] xy, int width, int height) {
        if (xy.length < 2 || xy.length % 2 != 0) {
            throw new IllegalArgumentException("a polygon needs an even number of coordinates, got " + xy.length);
        }
        int[] boundaries = boundaryPositions(xy, width, height);
        // Parity of the boundaries at or before each column-major position; position h*w and beyond is outside.
        boolean[] flip = new boolean[width * height + 1];
        for (int p : boundaries) {
            if (p < flip.length) {
                flip[p] ^= true;
            }
        }
        PixelMask mask = new PixelMask(width, height);
        boolean inside = false;
        for (int p = 0; p < width * height; p++) {
            inside ^= flip[p];
            if (inside) {
                mask.set(p / height, p % height);
            }
        }
        return mask;
    }

    /** The column-major boundary positions {@code x * h + y} of the polygon, in walk order. */
    private static int[] boundaryPositions(double[] xy, int width, int height) {
        int k = xy.length / 2;
        int[] x = new int[k + 1];
        int[] y = new int[k + 1];
        for (int j = 0; j < k; j++) {
            x[j] = (int) (SCALE * xy[2 * j] + 0.5);
            y[j] = (int) (SCALE * xy[2 * j + 1] + 0.5);
        }
        x[k] = x[0];
        y[k] = y[0];
        int points = 0;
        for (int j = 0; j < k; j++) {
            points += Math.max(Math.abs(x[j] - x[j + 1]), Math.abs(y[j] - y[j + 1])) + 1;
        }
        int[] u = new int[points];
        int[] v = new int[points];
        int m = 0;
        for (int j = 0; j < k; j++) {
            m = walkEdge(x[j], y[j], x[j + 1], y[j + 1], u, v, m);
        }
        int[] out = new int[m];
        int n = 0;
        for (int j = 1; j < m; j++) {
            if (u[j] == u[j - 1]) {
                continue;
            }
            double xd = u[j] < u[j - 1] ? u[j] : u[j] - 1;
            xd = (xd + 0.5) / SCALE - 0.5;
            if (Math.floor(xd) != xd || xd < 0 || xd > width - 1) {
                continue;
            }
            double yd = Math.min(v[j], v[j - 1]);
            yd = (yd + 0.5) / SCALE - 0.5;
            yd = Math.ceil(yd < 0 ? 0 : Math.min(yd, height));
            out[n++] = (int) xd * height + (int) yd;
        }
        return Arrays.copyOf(out, n);
    }

    /**
     * Appends the dense points of the scaled edge (xs, ys) -> (xe, ye) to {@code u}, {@code v} from index
     * {@code m}; returns the new count. The edge is stepped along its longer axis from its lower end, and the
     * points are stored from (xs, ys) to (xe, ye).
     */
    private static int walkEdge(int xs, int ys, int xe, int ye, int[] u, int[] v, int m) {
        int dx = Math.abs(xe - xs);
        int dy = Math.abs(ys - ye);
        boolean flip = dx >= dy && xs > xe || dx < dy && ys > ye;
        if (flip) {
            int t = xs;
            xs = xe;
            xe = t;
            t = ys;
            ys = ye;
            ye = t;
        }
        if (dx >= dy) {
            // A repeated vertex (dx = dy = 0) gives one point whose v pycocotools computes from 0/0; that point
            // shares its column with both neighbours, so its v is never read and any slope will do.
            double s = dx == 0 ? 0 : (double) (ye - ys) / dx;
            for (int d = 0; d <= dx; d++) {
                int t = flip ? dx - d : d;
                u[m] = t + xs;
                v[m] = (int) (ys + s * t + 0.5);
                m++;
            }
        } else {
            double s = (double) (xe - xs) / dy;
            for (int d = 0; d <= dy; d++) {
                int t = flip ? dy - d : d;
                v[m] = t + ys;
                u[m] = (int) (xs + s * t + 0.5);
                m++;
            }
        }
        return m;
    }
}
