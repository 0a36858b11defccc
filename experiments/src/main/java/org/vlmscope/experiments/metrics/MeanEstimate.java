package org.vlmscope.experiments.metrics;

import java.util.Collection;
import org.apache.commons.math3.distribution.TDistribution;

/** The mean of {@code n} values with a 95% Student-t interval (NaN bounds below two values). */
public record MeanEstimate(int n, double mean, Interval ci95) {

    public static MeanEstimate of(Collection<Double> values) {
        int n = values.size();
        if (n == 0) {
            return new MeanEstimate(0, Double.NaN, Interval.NONE);
        }
        double sum = 0;
        for (double v : values) {
            sum += v;
        }
        double mean = sum / n;
        if (n == 1) {
            return new MeanEstimate(1, mean, Interval.NONE);
        }
        double squares = 0;
        for (double v : values) {
            squares += (v - mean) * (v - mean);
        }
        double standardError = Math.sqrt(squares / (n - 1) / n);
        double t = new TDistribution(n - 1).inverseCumulativeProbability(0.975);
        return new MeanEstimate(n, mean, new Interval(mean - t * standardError, mean + t * standardError));
    }
}
