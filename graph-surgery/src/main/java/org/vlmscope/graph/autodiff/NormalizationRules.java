package org.vlmscope.graph.autodiff;

import static org.vlmscope.graph.autodiff.GradientRule.onInputs;

import java.util.List;
import java.util.Map;
import org.vlmscope.graph.TensorType.Dim;
import org.vlmscope.graph.Value;

/**
 * LayerNormalization over the axes from {@code axis} on (the vision tower's norms). The node's optional mean and
 * inverse-deviation outputs are absent in exported graphs, so the rule recomputes the statistics, in the input's
 * element type, from x flattened to [leading axes..., normalized elements].
 */
final class NormalizationRules {
    private NormalizationRules() {
    }

    static void addTo(Map<String, GradientRule> rules) {
        rules.put("LayerNormalization", onInputs(NormalizationRules::layerNorm, 0, 1, 2));
    }

    /**
     * With xhat = (x - mean) * rstd and g = dy * scale: dx = rstd * (g - mean(g) - xhat * mean(g * xhat)),
     * dscale = sum over leading axes of dy * xhat, dbias = sum of dy.
     */
    private static void layerNorm(Step s) {
        GradOps o = s.ops;
        Value x = s.in(0);
        long axis = s.node().intAttribute("axis", -1);
        double eps = s.node().floatAttribute("epsilon", 1e-5f);
        Value flat = o.concat(0, o.shape(x, 0, axis), o.ops().ints(-1));
        Value x2 = o.ops().op("Reshape").in(x, flat).out();
        Value centered = o.sub(x2, o.meanKeep(x2, -1));
        Value variance = o.meanKeep(o.mul(centered, centered), -1);
        Value rstd = o.ops().op("Reciprocal").in(o.ops().op("Sqrt").in(o.add(variance, o.scalarLike(eps, x))).out())
                .out();
        Value xhat = o.mul(centered, rstd);
        if (s.wants(0)) {
            Value g = o.ops().op("Reshape").in(o.mul(s.dy(), s.in(1)), flat).out();
            Value gMean = o.meanKeep(g, -1);
            Value projection = o.mul(xhat, o.meanKeep(o.mul(g, xhat), -1));
            s.grad(0, o.reshapeLike(o.mul(rstd, o.sub(o.sub(g, gMean), projection)), x));
        }
        List<Dim> shape = o.shapes().of(s.out());
        if (s.wants(1)) {
            s.grad(1, o.sumTo(o.mul(s.dy(), o.reshapeLike(xhat, x)), shape, s.in(1)));
        }
        if (s.wants(2)) {
            s.grad(2, o.sumTo(s.dy(), shape, s.in(2)));
        }
    }
}
