package org.vlmscope.experiments.metrics;

/** A confidence interval; both ends NaN where there is no data to bound. */
public record Interval(double lower, double upper) {
    public static final Interval NONE = new Interval(Double.NaN, Double.NaN);

    public Interval scaled(double factor) {
        return new Interval(lower * factor, upper * factor);
    }
}
