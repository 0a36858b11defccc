package org.vlmscope.graph.autodiff;

import static org.vlmscope.graph.autodiff.GradientRule.onInputs;

import java.util.Map;
import java.util.function.BiFunction;
import org.vlmscope.graph.Value;

/** Reductions and softmax: the gradient is spread back over the reduced axes. */
final class ReductionRules {
    private ReductionRules() {
    }

    static void addTo(Map<String, GradientRule> rules) {
        reduction(rules, "ReduceSum", (r, dy) -> r.spread(dy));
        // Each input element contributed 1/N of the mean, N = elements reduced into each output element.
        reduction(rules, "ReduceMean", (r, dy) -> {
            GradOps o = r.step.ops;
            Value count = o.div(o.size(r.step.in(0)), o.size(r.step.out()));
            return o.div(r.spread(dy), o.castLike(count, dy));
        });
        // The maximum's gradient goes to the elements equal to it, split evenly among ties (as torch.amax does), so
        // the rule is the derivative wherever the maximum is unique.
        reduction(rules, "ReduceMax", (r, dy) -> {
            GradOps o = r.step.ops;
            Value hits = o.castLike(o.ops().op("Equal").in(r.step.in(0), r.keepDims(r.step.out())).out(), dy);
            var ties = o.ops().op("ReduceSum").in(hits);
            if (r.someAxes) {
                ties.in(r.axes());
            }
            return o.mul(hits, o.div(r.keepDims(dy), ties.attr("keepdims", 1L).out()));
        });
        // y = softmax(x): dx = y * (dy - sum(dy * y)) along the softmax axis.
        rules.put("Softmax", onInputs(s -> {
            Value y = s.out();
            Value dot = s.ops.sumKeep(s.ops.mul(s.dy(), y), s.node().intAttribute("axis", -1));
            s.grad(0, s.ops.mul(y, s.ops.sub(s.dy(), dot)));
        }, 0));
    }

    /** A rule for a reduction; a reduction that reduces nothing (empty axes with noop_with_empty_axes) passes dy. */
    private static void reduction(Map<String, GradientRule> rules, String op, BiFunction<Reduced, Value, Value> dx) {
        rules.put(op, onInputs(s -> {
            Reduced r = Reduced.of(s);
            boolean noop = !r.someAxes && s.node().intAttribute("noop_with_empty_axes", 0) == 1;
            s.grad(0, noop ? s.dy() : dx.apply(r, s.dy()));
        }, 0));
    }

    /**
     * A reduction node and its axes. Axes are an attribute before opset 18 (13 for ReduceSum) and an input after; an
     * attribute becomes a constant only when a rule needs it as a tensor, so no initializer is left unused.
     */
    private static final class Reduced {
        final Step step;
        /** False when the node reduces over every axis (no axes, or a constant empty list). */
        final boolean someAxes;
        private Value axes;

        private Reduced(Step step, Value axes, boolean someAxes) {
            this.step = step;
            this.axes = axes;
            this.someAxes = someAxes;
        }

        static Reduced of(Step s) {
            Value input = s.node().input(1);
            if (input != null) {
                long[] constant = Constants.longs(input);
                return new Reduced(s, input, constant == null || constant.length > 0);
            }
            return new Reduced(s, null, !s.node().intsAttribute("axes").isEmpty());
        }

        /** The axes as a 1-D int64 tensor; only called when {@link #someAxes}. */
        Value axes() {
            if (axes == null) {
                axes = step.ops.ops().ints(step.node().intsAttribute("axes").stream().mapToLong(Long::longValue).toArray());
            }
            return axes;
        }

        /** {@code t}, shaped like the reduction's output, with the reduced axes back as size-1 dimensions. */
        Value keepDims(Value t) {
            if (step.node().intAttribute("keepdims", 1) == 1 || !someAxes) {
                // Kept already, or reduced to a scalar, which broadcasts as it is.
                return t;
            }
            return step.ops.ops().op("Unsqueeze").in(t, axes()).out();
        }

        /** The output gradient broadcast back over the input. */
        Value spread(Value dy) {
            return step.ops.ops().op("Expand").in(keepDims(dy), step.ops.shape(step.in(0))).out();
        }
    }
}
