package org.vlmscope.runtime.image;

/**
 * Turns an image upright according to its EXIF orientation (1..8), as PIL's {@code ImageOps.exif_transpose}
 * does: 2 mirror, 3 rotate 180, 4 flip, 5 transpose, 6 rotate 90 clockwise, 7 transverse, 8 rotate 90
 * counter-clockwise.
 */
final class Orientation {
    private Orientation() {
    }

    static RgbImage apply(RgbImage image, int orientation) {
        if (orientation < 2 || orientation > 8) {
            return image;
        }
        int w = image.width();
        int h = image.height();
        boolean swap = orientation >= 5;
        int outWidth = swap ? h : w;
        int outHeight = swap ? w : h;
        byte[] src = image.rgb();
        byte[] dst = new byte[src.length];
        for (int y = 0; y < outHeight; y++) {
            for (int x = 0; x < outWidth; x++) {
                // (sx, sy): the stored pixel that lands at (x, y) once the image is upright.
                int sx;
                int sy;
                switch (orientation) {
                    case 2 -> { sx = w - 1 - x; sy = y; }
                    case 3 -> { sx = w - 1 - x; sy = h - 1 - y; }
                    case 4 -> { sx = x; sy = h - 1 - y; }
                    case 5 -> { sx = y; sy = x; }
                    case 6 -> { sx = y; sy = h - 1 - x; }
                    case 7 -> { sx = w - 1 - y; sy = h - 1 - x; }
                    default -> { sx = w - 1 - y; sy = x; } // 8
                }
                System.arraycopy(src, (sy * w + sx) * 3, dst, (y * outWidth + x) * 3, 3);
            }
        }
        return new RgbImage(outWidth, outHeight, dst);
    }
}
