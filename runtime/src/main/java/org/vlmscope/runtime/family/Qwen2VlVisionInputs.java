package org.vlmscope.runtime.family;

import java.util.List;
import org.vlmscope.runtime.image.ImageGrid;

/**
 * The two extra inputs of Qwen2-VL's vision graph for a list of images whose pixel rows are concatenated in the
 * processor's order (frame by frame, {@code merge x merge} windows row-major, patches row-major inside a window).
 */
public final class Qwen2VlVisionInputs {
    private Qwen2VlVisionInputs() {
    }

    /**
     * vision_position_ids [patches][2]: the (row, column) of each pixel row's patch on its image's patch grid,
     * HF's {@code rot_pos_emb} pos_ids (hpos and wpos after the merge-window permute, repeated over frames).
     */
    public static long[][] positionIds(List<ImageGrid> grids, int merge) {
        long[][] out = new long[patches(grids)][];
        int r = 0;
        for (ImageGrid g : grids) {
            for (int t = 0; t < g.frames(); t++) {
                for (int wr = 0; wr < g.mergedRows(merge); wr++) {
                    for (int wc = 0; wc < g.mergedCols(merge); wc++) {
                        for (int i = 0; i < merge; i++) {
                            for (int j = 0; j < merge; j++) {
                                out[r++] = new long[] {wr * merge + i, wc * merge + j};
                            }
                        }
                    }
                }
            }
        }
        return out;
    }

    /**
     * vision_segment_ids [patches]: the frame each pixel row belongs to, counted over all images (HF's cu_seqlens
     * cut attention at every frame of every image; a still image is one frame, so this is the image's index).
     */
    public static long[] segmentIds(List<ImageGrid> grids) {
        long[] out = new long[patches(grids)];
        int r = 0;
        long segment = 0;
        for (ImageGrid g : grids) {
            for (int t = 0; t < g.frames(); t++, segment++) {
                for (int k = 0; k < g.rows() * g.cols(); k++) {
                    out[r++] = segment;
                }
            }
        }
        return out;
    }

    private static int patches(List<ImageGrid> grids) {
        int n = 0;
        for (ImageGrid g : grids) {
            n = Math.addExact(n, g.patches());
        }
        return n;
    }
}
