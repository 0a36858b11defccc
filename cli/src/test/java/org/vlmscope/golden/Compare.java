package org.vlmscope.golden;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

/** Element-wise comparison with numpy.allclose semantics: |actual - expected| <= atol + rtol * |expected|. */
public final class Compare {
    private Compare() {
    }

    public static void allClose(String what, float[] expected, float[] actual, double atol, double rtol) {
        assertEquals(expected.length, actual.length, what + ": element count");
        int worst = -1;
        double worstExcess = 0;
        int bad = 0;
        for (int i = 0; i < expected.length; i++) {
            double diff = Math.abs((double) actual[i] - expected[i]);
            double allowed = atol + rtol * Math.abs(expected[i]);
            if (!(diff <= allowed)) {
                bad++;
                if (worst < 0 || diff - allowed > worstExcess) {
                    worst = i;
                    worstExcess = diff - allowed;
                }
            }
        }
        if (bad > 0) {
            fail(String.format("%s: %d of %d elements differ beyond atol=%g rtol=%g; worst at %d: expected %s, got %s",
                    what, bad, expected.length, atol, rtol, worst, expected[worst], actual[worst]));
        }
    }

    /** Largest absolute difference, for reporting. */
    public static double maxAbsDiff(float[] expected, float[] actual) {
        double max = 0;
        for (int i = 0; i < expected.length; i++) {
            max = Math.max(max, Math.abs((double) actual[i] - expected[i]));
        }
        return max;
    }

    /** Rows [from, to) of a row-major array with rows of {@code width} elements. */
    public static float[] rows(float[] data, int from, int to, int width) {
        float[] out = new float[(to - from) * width];
        System.arraycopy(data, from * width, out, 0, out.length);
        return out;
    }
}
