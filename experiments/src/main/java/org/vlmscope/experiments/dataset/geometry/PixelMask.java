package org.vlmscope.experiments.dataset.geometry;

/**
 * A binary mask over a {@code width x height} pixel raster, row-major: what a COCO segmentation covers after
 * rasterisation. Mutable only while it is built (by {@link PolygonRasterizer}, an RLE decoder or a crop).
 */
public final class PixelMask {
    private final int width;
    private final int height;
    private final boolean[] set;

    public PixelMask(int width, int height) {
        if (width < 0 || height < 0) {
            throw new IllegalArgumentException("mask size must not be negative, got " + width + "x" + height);
        }
        this.width = width;
        this.height = height;
        this.set = new boolean[Math.multiplyExact(width, height)];
    }

    public int width() {
        return width;
    }

    public int height() {
        return height;
    }

    public boolean get(int x, int y) {
        return set[y * width + x];
    }

    public void set(int x, int y) {
        set[y * width + x] = true;
    }

    /** Adds every pixel of {@code other} (same size) to this mask: the union of a segmentation's parts. */
    public void addAll(PixelMask other) {
        if (other.width != width || other.height != height) {
            throw new IllegalArgumentException("mask sizes differ: " + width + "x" + height + " and "
                    + other.width + "x" + other.height);
        }
        for (int i = 0; i < set.length; i++) {
            set[i] |= other.set[i];
        }
    }

    /** The number of pixels set. */
    public int count() {
        int n = 0;
        for (boolean b : set) {
            n += b ? 1 : 0;
        }
        return n;
    }

    /**
     * The {@code w x h} window whose top-left corner is ({@code left}, {@code top}) in this mask; pixels of the
     * window outside this mask are unset.
     */
    public PixelMask window(int left, int top, int w, int h) {
        PixelMask out = new PixelMask(w, h);
        for (int y = Math.max(0, top); y < Math.min(height, top + h); y++) {
            for (int x = Math.max(0, left); x < Math.min(width, left + w); x++) {
                if (get(x, y)) {
                    out.set(x - left, y - top);
                }
            }
        }
        return out;
    }

    /** Whether any pixel in columns {@code [x0, x1)} and rows {@code [y0, y1)} (clipped to the mask) is set. */
    public boolean anyIn(int x0, int y0, int x1, int y1) {
        for (int y = Math.max(0, y0); y < Math.min(height, y1); y++) {
            for (int x = Math.max(0, x0); x < Math.min(width, x1); x++) {
                if (set[y * width + x]) {
                    return true;
                }
            }
        }
        return false;
    }
}
