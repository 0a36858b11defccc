package org.vlmscope.experiments.dataset.coco;

import java.util.List;
import org.vlmscope.experiments.dataset.geometry.PixelMask;

/** A COCO annotation's {@code segmentation}: polygons (one or more parts) or a run-length encoded mask (crowd). */
public sealed interface Segmentation {

    /** Polygon parts, each {@code x0, y0, x1, y1, ...} in image pixels. */
    record Polygons(List<double[]> parts) implements Segmentation {
    }

    /**
     * A run-length encoded {@code height x width} mask: column-major runs alternating unset and set, starting
     * with unset (pycocotools' RLE, after decoding a compressed {@code counts} string).
     */
    record Rle(int height, int width, long[] counts) implements Segmentation {
        /** The mask as pixels. */
        public PixelMask toMask() {
            PixelMask mask = new PixelMask(width, height);
            long p = 0;
            boolean set = false;
            for (long run : counts) {
                if (set) {
                    for (long q = p; q < p + run; q++) {
                        mask.set((int) (q / height), (int) (q % height));
                    }
                }
                p += run;
                set = !set;
            }
            return mask;
        }
    }
}
