package org.vlmscope.graph.autodiff;

import static org.vlmscope.graph.autodiff.GradientRule.onInputs;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.vlmscope.graph.TensorType.Dim;
import org.vlmscope.graph.Value;

/**
 * Batched, broadcasting MatMul of operands of rank 2 or more. With y = a @ b, da = dy @ b^T and db = a^T @ dy,
 * written here as da = (b @ dy^T)^T and db = (dy^T @ a)^T: only gradients are transposed, never a forward operand,
 * because a transposed weight matrix would be constant-folded by ONNX Runtime into a second copy of the weights.
 * Each result has the output's batch shape and is summed back to its operand's.
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
            int rank = o.shapes().rank(operand);
            if (rank >= 0 && rank < 2) {
                throw s.unsupported("the gradient of MatMul needs operands of rank 2 or more; '" + operand.name()
                        + "' has rank " + rank);
            }
        }
        int rank = o.shapes().rank(s.out());
        Value dyT = o.swapLastTwo(s.dy(), rank);
        if (s.wants(0)) {
            s.grad(0, o.sumTo(o.swapLastTwo(o.matMul(b, dyT), rank), batchOf(s, a), a));
        }
        if (s.wants(1)) {
            s.grad(1, o.sumTo(o.swapLastTwo(o.matMul(dyT, a), rank), batchOf(s, b), b));
        }
    }

    /** Static shape of an operand's gradient before summing: the output's batch axes, then the operand's matrix axes. */
    private static List<Dim> batchOf(Step s, Value operand) {
        List<Dim> out = s.ops.shapes().of(s.out());
        List<Dim> x = s.ops.shapes().of(operand);
        if (out == null || x == null) {
            return null;
        }
        List<Dim> g = new ArrayList<>(out.subList(0, out.size() - 2));
        g.addAll(x.subList(x.size() - 2, x.size()));
        return g;
    }
}
