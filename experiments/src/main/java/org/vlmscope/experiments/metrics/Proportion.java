package org.vlmscope.experiments.metrics;

import org.apache.commons.math3.distribution.NormalDistribution;

/**
 * {@code successes} of {@code trials}, with a 95% Wilson score interval: unlike the normal approximation it
 * stays inside [0, 1] and is sensible at 0 or n successes, which small denominators (the paper's 39) hit often.
 */
public record Proportion(int successes, int trials) {
    /** The two-sided 95% normal quantile, 1.95996... */
    static final double Z95 = new NormalDistribution().inverseCumulativeProbability(0.975);

    public Proportion {
        if (trials < 0 || successes < 0 || successes > trials) {
            throw new IllegalArgumentException(successes + " successes of " + trials + " trials");
        }
    }

    /** successes / trials; NaN when there are no trials. */
    public double fraction() {
        return trials == 0 ? Double.NaN : (double) successes / trials;
    }

    public Interval wilson95() {
        if (trials == 0) {
            return Interval.NONE;
        }
        double n = trials;
        double p = successes / n;
        double z2 = Z95 * Z95;
        double centre = (p + z2 / (2 * n)) / (1 + z2 / n);
        double half = Z95 / (1 + z2 / n) * Math.sqrt(p * (1 - p) / n + z2 / (4 * n * n));
        return new Interval(Math.max(0, centre - half), Math.min(1, centre + half));
    }
}
