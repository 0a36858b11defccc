package org.vlmscope.runtime.summary;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Per layer of the language model, how the residual stream grows on image and on text positions, and how much
 * each layer still turns the final position's residual (whose unembedding is the next-token prediction).
 */
public final class LayerSummary {
    /**
     * @param visualNorm  mean L2 norm of the layer's output over visual positions (NaN when there are none)
     * @param textNorm    the same over the other positions
     * @param finalCosine cosine similarity of the final position's output to the layer's input there
     */
    public record Row(int layer, double visualNorm, double textNorm, double finalCosine) {
    }

    private LayerSummary() {
    }

    /**
     * @param residuals element 0 is block 0's input (hook_resid_pre), element i+1 block i's output
     *                  (hook_resid_post); each holds one batch row, [sequence, dModel] row-major
     * @param visual    which positions hold visual tokens
     */
    public static List<Row> compute(List<float[]> residuals, int dModel, boolean[] visual) {
        List<Row> rows = new ArrayList<>();
        int last = visual.length - 1;
        for (int layer = 0; layer + 1 < residuals.size(); layer++) {
            float[] out = residuals.get(layer + 1);
            double[] sums = new double[2];
            int[] counts = new int[2];
            for (int pos = 0; pos < visual.length; pos++) {
                int k = visual[pos] ? 0 : 1;
                sums[k] += Math.sqrt(dot(out, pos, out, pos, dModel));
                counts[k]++;
            }
            float[] in = residuals.get(layer);
            double cos = dot(out, last, in, last, dModel)
                    / Math.sqrt(dot(out, last, out, last, dModel) * dot(in, last, in, last, dModel));
            rows.add(new Row(layer, sums[0] / counts[0], sums[1] / counts[1], cos));
        }
        return rows;
    }

    /** Positions whose id is the image token, in a row whose placeholder is already expanded. */
    public static boolean[] visualPositions(long[] expandedIds, long imageTokenId) {
        boolean[] visual = new boolean[expandedIds.length];
        for (int i = 0; i < expandedIds.length; i++) {
            visual[i] = expandedIds[i] == imageTokenId;
        }
        return visual;
    }

    /** The rows as a table with a header line, one line per layer, each ending in a newline. */
    public static String format(List<Row> rows) {
        StringBuilder out = new StringBuilder(String.format(Locale.ROOT, "%5s  %14s  %14s  %22s%n", "layer",
                "|resid| visual", "|resid| text", "cos(final, prev layer)"));
        for (Row r : rows) {
            out.append(String.format(Locale.ROOT, "%5d  %14s  %14s  %22s%n", r.layer(), number(r.visualNorm()),
                    number(r.textNorm()), number(r.finalCosine())));
        }
        return out.toString();
    }

    /** NaN (no positions of that kind, or a zero vector) prints as "-". */
    private static String number(double v) {
        return Double.isNaN(v) ? "-" : String.format(Locale.ROOT, "%.4f", v);
    }

    private static double dot(float[] a, int rowA, float[] b, int rowB, int width) {
        double s = 0;
        for (int i = 0; i < width; i++) {
            s += (double) a[rowA * width + i] * b[rowB * width + i];
        }
        return s;
    }
}
