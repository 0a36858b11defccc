package org.vlmscope.graph.autodiff;

import static org.vlmscope.graph.autodiff.GradientRule.onInputs;

import java.util.Map;
import java.util.function.BiFunction;
import org.vlmscope.graph.Value;

/**
 * Elementwise operators. Binary ones broadcast, so each input's gradient is summed back to that input's shape.
 * Where a derivative can be written with the forward output (exp, sqrt, reciprocal, sigmoid, tanh, division) it
 * is, so the backward graph reuses the forward tensor instead of recomputing it; those forms also need no
 * constants, which keeps them in whatever element type the forward ran in.
 */
final class ElementwiseRules {
    private ElementwiseRules() {
    }

    static void addTo(Map<String, GradientRule> rules) {
        rules.put("Add", onInputs(s -> {
            for (int i = 0; i < 2; i++) {
                if (s.wants(i)) {
                    s.grad(i, s.sumToInput(s.dy(), i));
                }
            }
        }, 0, 1));
        rules.put("Sub", onInputs(s -> {
            if (s.wants(0)) {
                s.grad(0, s.sumToInput(s.dy(), 0));
            }
            if (s.wants(1)) {
                s.grad(1, s.ops.neg(s.sumToInput(s.dy(), 1)));
            }
        }, 0, 1));
        rules.put("Mul", onInputs(s -> {
            for (int i = 0; i < 2; i++) {
                if (s.wants(i)) {
                    s.grad(i, s.sumToInput(s.ops.mul(s.dy(), s.in(1 - i)), i));
                }
            }
        }, 0, 1));
        // y = a / b: da = dy / b, db = -dy * y / b.
        rules.put("Div", onInputs(s -> {
            GradOps o = s.ops;
            if (s.wants(0)) {
                s.grad(0, s.sumToInput(o.div(s.dy(), s.in(1)), 0));
            }
            if (s.wants(1)) {
                s.grad(1, o.neg(s.sumToInput(o.div(o.mul(s.dy(), s.out()), s.in(1)), 1)));
            }
        }, 0, 1));
        // y = x^p with p constant: dx = dy * p * x^(p-1). p may have its own element type, hence the casts.
        rules.put("Pow", onInputs(s -> {
            GradOps o = s.ops;
            Value p = s.in(1);
            Value lowered = o.ops().op("Pow").in(s.in(0), o.sub(p, o.scalarLike(1.0, p))).out();
            s.grad(0, s.sumToInput(o.mul(s.dy(), o.mul(o.castLike(p, s.in(0)), lowered)), 0));
        }, 0));
        // Where(c, a, b): the condition selects, it carries no gradient.
        rules.put("Where", onInputs(s -> {
            GradOps o = s.ops;
            Value zero = o.scalarLike(0.0, s.out());
            Value cond = s.in(0);
            if (s.wants(1)) {
                s.grad(1, s.sumToInput(o.ops().op("Where").in(cond, s.dy(), zero).out(), 1));
            }
            if (s.wants(2)) {
                s.grad(2, s.sumToInput(o.ops().op("Where").in(cond, zero, s.dy()).out(), 2));
            }
        }, 1, 2));

        unary(rules, "Neg", (s, dy) -> s.ops.neg(dy));
        unary(rules, "Exp", (s, dy) -> s.ops.mul(dy, s.out()));
        unary(rules, "Log", (s, dy) -> s.ops.div(dy, s.in(0)));
        // d sqrt(x) = dy / (2 sqrt(x)), written y + y to need no constant.
        unary(rules, "Sqrt", (s, dy) -> s.ops.div(dy, s.ops.add(s.out(), s.out())));
        // d (1/x) = -dy / x^2 = -dy * y * y.
        unary(rules, "Reciprocal", (s, dy) -> s.ops.neg(s.ops.mul(dy, s.ops.mul(s.out(), s.out()))));
        // sigmoid' = y (1 - y) = y - y^2.
        unary(rules, "Sigmoid", (s, dy) -> s.ops.mul(dy, s.ops.sub(s.out(), s.ops.mul(s.out(), s.out()))));
        // tanh' = 1 - y^2, so dx = dy - dy * y^2.
        unary(rules, "Tanh", (s, dy) -> s.ops.sub(dy, s.ops.mul(s.ops.mul(dy, s.out()), s.out())));
        // erf'(x) = 2/sqrt(pi) exp(-x^2).
        unary(rules, "Erf", (s, dy) -> {
            GradOps o = s.ops;
            Value x = s.in(0);
            Value bell = o.ops().op("Exp").in(o.neg(o.mul(x, x))).out();
            return o.mul(dy, o.mul(bell, o.scalarLike(2.0 / Math.sqrt(Math.PI), x)));
        });
        // relu' is 1 where the output is positive, else 0: exactly Sign(y), as y >= 0.
        unary(rules, "Relu", (s, dy) -> s.ops.mul(dy, s.ops.ops().op("Sign").in(s.out()).out()));
    }

    /** A rule for a one-input op: dx from (step, dy). */
    static void unary(Map<String, GradientRule> rules, String op, BiFunction<Step, Value, Value> dx) {
        rules.put(op, onInputs(s -> s.grad(0, dx.apply(s, s.dy())), 0));
    }
}
