package org.vlmscope.runtime.attribution;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Arrays;
import org.junit.jupiter.api.Test;

/** The path points and weights of each rule, written out by hand for m = 4. */
class IntegratedGradientsRulesTest {
    @Test
    void rightRiemannUsesKOverMForKFromOneToM() {
        assertArrayEquals(new double[] {0.25, 0.5, 0.75, 1.0}, IntegratedGradients.Rule.RIGHT.alphas(4), 0);
        assertArrayEquals(new double[] {0.25, 0.25, 0.25, 0.25}, IntegratedGradients.Rule.RIGHT.weights(4), 0);
    }

    /** The paper's code: torch.linspace(0, 1, m) with both ends, gradients averaged. */
    @Test
    void linspaceIncludesBothEndsAndAverages() {
        assertArrayEquals(new double[] {0, 1.0 / 3, 2.0 / 3, 1}, IntegratedGradients.Rule.LINSPACE.alphas(4), 1e-15);
        assertArrayEquals(new double[] {0.25, 0.25, 0.25, 0.25}, IntegratedGradients.Rule.LINSPACE.weights(4), 0);
    }

    @Test
    void trapezoidHalvesTheEndpoints() {
        assertArrayEquals(new double[] {0, 0.25, 0.5, 0.75, 1}, IntegratedGradients.Rule.TRAPEZOID.alphas(4), 0);
        assertArrayEquals(new double[] {0.125, 0.25, 0.25, 0.25, 0.125}, IntegratedGradients.Rule.TRAPEZOID.weights(4), 0);
        for (IntegratedGradients.Rule rule : IntegratedGradients.Rule.values()) {
            assertEquals(1.0, Arrays.stream(rule.weights(50)).sum(), 1e-12, rule + " weights integrate to 1");
        }
    }
}
