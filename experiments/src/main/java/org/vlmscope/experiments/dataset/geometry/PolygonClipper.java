package org.vlmscope.experiments.dataset.geometry;

import java.util.Arrays;

/**
 * Clips a polygon to the rectangle {@code [0, width] x [0, height]} (Sutherland-Hodgman, one half-plane at a time): the
 * paper's reading of "polygons are clipped to the crop", where the paper's code drops the vertices outside.
 */
public final class PolygonClipper {
    private PolygonClipper() {
    }

    /** The clipped polygon (x0, y0, x1, y1, ...); fewer than 3 vertices when little or nothing is left. */
    public static double[] clipToRectangle(double[] xy, double width, double height) {
        double[] out = xy;
        out = clip(out, 0, 0, false);
        out = clip(out, 0, width, true);
        out = clip(out, 1, 0, false);
        out = clip(out, 1, height, true);
        return out;
    }

    /**
     * Keeps the side of the line {@code coordinate[axis] = bound} where the coordinate is at most
     * ({@code keepBelow}) or at least the bound.
     */
    private static double[] clip(double[] xy, int axis, double bound, boolean keepBelow) {
        int n = xy.length / 2;
        double[] out = new double[4 * n + 2];
        int m = 0;
        for (int i = 0; i < n; i++) {
            int j = (i + 1) % n;
            double a = xy[2 * i + axis];
            double b = xy[2 * j + axis];
            boolean aIn = keepBelow ? a <= bound : a >= bound;
            boolean bIn = keepBelow ? b <= bound : b >= bound;
            if (aIn) {
                out[m++] = xy[2 * i];
                out[m++] = xy[2 * i + 1];
            }
            if (aIn != bIn) {
                double t = (bound - a) / (b - a);
                double[] cross = new double[2];
                cross[axis] = bound;
                int other = 1 - axis;
                cross[other] = xy[2 * i + other] + t * (xy[2 * j + other] - xy[2 * i + other]);
                out[m++] = cross[0];
                out[m++] = cross[1];
            }
        }
        return Arrays.copyOf(out, m);
    }
}
