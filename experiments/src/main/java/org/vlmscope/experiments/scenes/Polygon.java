package org.vlmscope.experiments.scenes;

import java.util.Arrays;

/**
 * A simple polygon in image pixel coordinates, as a COCO segmentation stores it: x0, y0, x1, y1, ... where pixel
 * (col, row) covers the square [col, col+1) x [row, row+1). It is rasterised by pixel centres (a pixel belongs to
 * the polygon when its centre (col + 0.5, row + 0.5) is inside, even-odd rule), which is what the scene images are
 * painted with and what the COCO {@code area} counts.
 */
public record Polygon(double[] xy) {
    public Polygon {
        if (xy.length < 6 || xy.length % 2 != 0) {
            throw new IllegalArgumentException("a polygon needs at least 3 x,y pairs, found " + xy.length + " values");
        }
        xy = xy.clone();
    }

    @Override
    public double[] xy() {
        return xy.clone();
    }

    public int vertices() {
        return xy.length / 2;
    }

    /** The shoelace area, in square pixels. */
    public double area() {
        double twice = 0;
        int n = vertices();
        for (int i = 0; i < n; i++) {
            int j = (i + 1) % n;
            twice += xy[2 * i] * xy[2 * j + 1] - xy[2 * j] * xy[2 * i + 1];
        }
        return Math.abs(twice) / 2;
    }

    public double perimeter() {
        double sum = 0;
        int n = vertices();
        for (int i = 0; i < n; i++) {
            int j = (i + 1) % n;
            sum += Math.hypot(xy[2 * j] - xy[2 * i], xy[2 * j + 1] - xy[2 * i + 1]);
        }
        return sum;
    }

    /** COCO's bbox: [x, y, width, height] of the vertices' extent. */
    public double[] bbox() {
        double minX = Double.MAX_VALUE;
        double minY = Double.MAX_VALUE;
        double maxX = -Double.MAX_VALUE;
        double maxY = -Double.MAX_VALUE;
        for (int i = 0; i < xy.length; i += 2) {
            minX = Math.min(minX, xy[i]);
            maxX = Math.max(maxX, xy[i]);
            minY = Math.min(minY, xy[i + 1]);
            maxY = Math.max(maxY, xy[i + 1]);
        }
        return new double[] {minX, minY, maxX - minX, maxY - minY};
    }

    /** Whether the point lies inside (even-odd rule; a point exactly on an edge may go either way). */
    public boolean contains(double px, double py) {
        boolean inside = false;
        int n = vertices();
        for (int i = 0, j = n - 1; i < n; j = i++) {
            double xi = xy[2 * i];
            double yi = xy[2 * i + 1];
            double xj = xy[2 * j];
            double yj = xy[2 * j + 1];
            if ((yi > py) != (yj > py) && px < (xj - xi) * (py - yi) / (yj - yi) + xi) {
                inside = !inside;
            }
        }
        return inside;
    }

    /**
     * The pixels whose centres lie inside, within an image of the given size, as a row-major boolean mask.
     */
    public boolean[] mask(int width, int height) {
        boolean[] mask = new boolean[width * height];
        double[] box = bbox();
        int col0 = Math.max(0, (int) Math.floor(box[0]));
        int row0 = Math.max(0, (int) Math.floor(box[1]));
        int col1 = Math.min(width - 1, (int) Math.ceil(box[0] + box[2]));
        int row1 = Math.min(height - 1, (int) Math.ceil(box[1] + box[3]));
        for (int row = row0; row <= row1; row++) {
            for (int col = col0; col <= col1; col++) {
                mask[row * width + col] = contains(col + 0.5, row + 0.5);
            }
        }
        return mask;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Polygon p && Arrays.equals(xy, p.xy);
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(xy);
    }

    @Override
    public String toString() {
        return "Polygon" + Arrays.toString(xy);
    }
}
