package org.vlmscope.graph.autodiff;

import static org.vlmscope.graph.autodiff.GradientRule.onInputs;

import java.util.Map;
import org.vlmscope.graph.Value;

/**
 * Batched, broadcasting MatMul of operands of rank 2 or more. With y = a @ b, da = dy @ b^T and db = a^T @ dy,
 * written here as da = (b @ dy^T)^T and db = (dy^T @ a)^T: only gradients are transposed, never a forward operand,
 * because a transposed weight matrix would be constant-folded by ONNX Runtime into a second copy of the weights.
 * Each result has the broadcast batch shape and is summed back to its operand's.
 */
final class MatMulRules {
    private MatMulRules() {
    }

    static void addTo(Map<String, GradientRule> rules) {
        rules.put("MatMul", onInputs(MatMulRules::matMul, 0, 1));
    }

    private static void matMul(Step s) {
        GradOps o = s.ops;
        Value a = s.in(0);
        Value b = s.in(1);
        for (Value operand : new Value[] {a, b}) {
            int rank = Constants.rank(operand);
            if (rank >= 0 && rank < 2) {
                throw s.unsupported("the gradient of MatMul needs operands of rank 2 or more; '" + operand.name()
                        + "' has rank " + rank);
            }
        }
        Value dyT = o.swapLastTwo(s.dy());
        if (s.wants(0)) {
            s.grad(0, batchSum(o, o.swapLastTwo(o.matMul(b, dyT)), a, b));
        }
        if (s.wants(1)) {
            s.grad(1, batchSum(o, o.swapLastTwo(o.matMul(dyT, a)), b, a));
        }
    }

    /** g summed to x's batch shape; skipped when the other operand is a plain matrix, which broadcasts no batch. */
    private static Value batchSum(GradOps o, Value g, Value x, Value other) {
        return Constants.rank(other) == 2 ? g : o.sumTo(g, x);
    }
}
