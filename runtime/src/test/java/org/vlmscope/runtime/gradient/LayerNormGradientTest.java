package org.vlmscope.runtime.gradient;

import static org.vlmscope.runtime.gradient.GradCheck.dims;
import static org.vlmscope.runtime.gradient.GradCheck.feeds;

import org.junit.jupiter.api.Test;
import org.vlmscope.graph.Ops;
import org.vlmscope.graph.Value;

/**
 * LayerNormalization (the vision tower's norm) against central differences, with respect to x, scale and bias,
 * over the last axis as the exporter writes it and over the last two.
 */
class LayerNormGradientTest {

    private static GradCheck norm(long axis, Object[] xDims, Object[] paramDims) {
        return GradCheck.inDouble(b -> {
            Ops o = b.ops();
            Value y = o.op("LayerNormalization")
                    .in(b.input("x", xDims), b.input("scale", paramDims), b.input("bias", paramDims))
                    .attr("axis", axis).attr("epsilon", 1e-5f).attr("stash_type", 1L).out();
            return o.op("Mul").in(y, y).out();
        });
    }

    @Test
    void overTheLastAxis() {
        GradCheck check = norm(-1, new Object[] {"b", "s", 5}, new Object[] {5});
        check.verifyEach(feeds("x", dims(2, 3, 5), "scale", dims(5), "bias", dims(5)), "x", "scale", "bias");
        check.verifyEach(feeds("x", dims(1, 2, 5), "scale", dims(5), "bias", dims(5)), "x", "scale", "bias");
    }

    @Test
    void overTheLastTwoAxes() {
        GradCheck check = norm(1, new Object[] {"b", 2, 3}, new Object[] {2, 3});
        check.verifyEach(feeds("x", dims(2, 2, 3), "scale", dims(2, 3), "bias", dims(2, 3)), "x", "scale", "bias");
        check.verifyEach(feeds("x", dims(3, 2, 3), "scale", dims(2, 3), "bias", dims(2, 3)), "x", "scale", "bias");
    }
}
