package org.vlmscope.runtime.summary;

import java.util.Locale;
import org.vlmscope.runtime.image.TokenGrid;

/** The scores of the visual tokens laid out on their grid (row-major), scaled to -99..99 of the largest |score|. */
public final class VisualGrid {
    private VisualGrid() {
    }

    public static String render(float[] scores, int[] visual, TokenGrid grid) {
        double max = 0;
        for (int p : visual) {
            max = Math.max(max, Math.abs(scores[p]));
        }
        StringBuilder out = new StringBuilder(String.format(Locale.ROOT,
                "visual tokens, %dx%d, score / max |score| x 99 (max |score| %.4g):%n", grid.rows(), grid.cols(), max));
        for (int row = 0; row < grid.rows(); row++) {
            for (int col = 0; col < grid.cols(); col++) {
                double v = max == 0 ? 0 : scores[visual[row * grid.cols() + col]] / max * 99;
                out.append(String.format(Locale.ROOT, "%4d", Math.round(v)));
            }
            out.append('\n');
        }
        return out.toString();
    }
}
