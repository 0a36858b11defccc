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
}
