package org.vlmscope.runtime.diff;

/**
 * One line of a comparison: a tensor (for a per-layer hook, its family such as {@code blocks.*.hook_resid_post}
 * and the layer) and how B differs from A. For lens id tensors only {@code top1Agreement} is meaningful; for a
 * tensor present in one file only, or of different shapes, {@code note} says so and the numbers are NaN.
 */
public record DiffRow(String tensor, Integer layer, long elements, double maxAbs, double meanAbs, double relativeL2,
                      double cosine, double top1Agreement, String note) {

    static DiffRow missing(String tensor, String note) {
        return new DiffRow(tensor, null, 0, Double.NaN, Double.NaN, Double.NaN, Double.NaN, Double.NaN, note);
    }

    /** Not compared: present in one dump only, or of other shapes or dtypes ({@code note} says which). */
    public boolean unmatched() {
        return note != null && Double.isNaN(maxAbs) && Double.isNaN(top1Agreement);
    }

    /**
     * Whether B departs from A by more than {@code tolerance} (max absolute difference) or cannot be held to it at
     * all: an unmatched tensor, or values that are NaN on one side. Lens id rows, which carry only the top-1
     * agreement, are never above a tolerance on values.
     */
    public boolean exceeds(double tolerance) {
        if (unmatched()) {
            return true;
        }
        if (!Double.isNaN(top1Agreement)) {
            return false;
        }
        return Double.isNaN(maxAbs) || maxAbs > tolerance;
    }
}
