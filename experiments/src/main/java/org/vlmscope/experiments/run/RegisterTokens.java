package org.vlmscope.experiments.run;

import java.util.stream.IntStream;

/**
 * Register tokens (EXPERIMENTS.md, "Ablation"): the visual positions whose L2 norm of the LM input embedding
 * exceeds {@code mean + 2 * std} of the image's visual norms, the standard deviation unbiased (n - 1), one-sided.
 */
public final class RegisterTokens {
    private RegisterTokens() {
    }

    /** Visual indices whose norm is above the threshold, ascending. */
    public static int[] select(double[] norms) {
        int n = norms.length;
        double mean = 0;
        for (double v : norms) {
            mean += v;
        }
        mean /= n;
        double squares = 0;
        for (double v : norms) {
            squares += (v - mean) * (v - mean);
        }
        double threshold = mean + 2 * Math.sqrt(n > 1 ? squares / (n - 1) : 0);
        return IntStream.range(0, n).filter(k -> norms[k] > threshold).toArray();
    }

    /** L2 norm of each of {@code count} rows of width {@code width} starting at row {@code first} of {@code rows}. */
    public static double[] norms(float[] rows, int first, int count, int width) {
        double[] out = new double[count];
        for (int k = 0; k < count; k++) {
            double s = 0;
            for (int j = 0; j < width; j++) {
                double v = rows[(first + k) * width + j];
                s += v * v;
            }
            out[k] = Math.sqrt(s);
        }
        return out;
    }
}
