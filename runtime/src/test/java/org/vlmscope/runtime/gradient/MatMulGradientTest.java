package org.vlmscope.runtime.gradient;

import static org.vlmscope.runtime.gradient.GradCheck.dims;
import static org.vlmscope.runtime.gradient.GradCheck.feeds;

import org.junit.jupiter.api.Test;
import org.vlmscope.graph.Ops;
import org.vlmscope.graph.Value;

/**
 * MatMul against central differences in double precision: a linear layer, attention's batched products, and
 * operands whose batch axes broadcast (so one gradient must be summed over the batch it was broadcast across).
 */
class MatMulGradientTest {

    private static GradCheck product(Object[] aDims, Object[] bDims) {
        return GradCheck.inDouble(b -> {
            Ops o = b.ops();
            Value y = o.op("MatMul").in(b.input("a", aDims), b.input("b", bDims)).out();
            return o.op("Mul").in(y, y).out();
        });
    }

    @Test
    void linearLayer() {
        GradCheck check = product(new Object[] {"b", "s", 3}, new Object[] {3, 2});
        check.verifyEach(feeds("a", dims(2, 3, 3), "b", dims(3, 2)), "a", "b");
        check.verifyEach(feeds("a", dims(1, 4, 3), "b", dims(3, 2)), "a", "b");
    }

    @Test
    void attentionScores() {
        GradCheck check = product(new Object[] {"b", 2, "s", 3}, new Object[] {"b", 2, 3, "t"});
        check.verifyEach(feeds("a", dims(1, 2, 3, 3), "b", dims(1, 2, 3, 4)), "a", "b");
        check.verifyEach(feeds("a", dims(2, 2, 1, 3), "b", dims(2, 2, 3, 2)), "a", "b");
    }

    /** Operands with no declared shapes: transposes and batch sums are worked out from run-time shapes. */
    @Test
    void withoutDeclaredShapes() {
        GradCheck check = GradCheck.inDouble(b -> {
            Ops o = b.ops();
            Value y = o.op("MatMul").in(b.unshapedInput("a"), b.unshapedInput("b")).out();
            return o.op("Mul").in(y, y).out();
        });
        check.verifyEach(feeds("a", dims(2, 2, 3), "b", dims(3, 4)), "a", "b");
        check.verifyEach(feeds("a", dims(2, 3), "b", dims(3, 1, 3, 2)), "a", "b");
    }

    /** a [b, h, m, k] against b [1, h, k, n] and a plain matrix against a batch. */
    @Test
    void broadcastBatchAxes() {
        GradCheck batchOfOne = product(new Object[] {"b", 2, "m", 3}, new Object[] {1, 2, 3, "n"});
        batchOfOne.verifyEach(feeds("a", dims(3, 2, 2, 3), "b", dims(1, 2, 3, 2)), "a", "b");
        batchOfOne.verifyEach(feeds("a", dims(2, 2, 1, 3), "b", dims(1, 2, 3, 3)), "a", "b");
        GradCheck matrixTimesBatch = product(new Object[] {"m", 3}, new Object[] {"b", 3, 2});
        matrixTimesBatch.verifyEach(feeds("a", dims(2, 3), "b", dims(3, 3, 2)), "a", "b");
        matrixTimesBatch.verifyEach(feeds("a", dims(4, 3), "b", dims(2, 3, 2)), "a", "b");
    }
}
