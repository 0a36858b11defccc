package org.vlmscope.graph.autodiff;

import java.util.Arrays;
import java.util.function.Consumer;
import java.util.function.IntPredicate;

/**
 * The reverse-mode rule of one operator: given the gradient of the node's first output, the gradients of the
 * inputs asked for. Rules build on the forward tensors (a softmax's output, a sigmoid's output) rather than
 * recomputing them, and return each gradient in the element type and shape of its input.
 */
interface GradientRule {
    /**
     * Whether this rule gives a gradient for input {@code index}. Inputs it does not cover are integer or boolean
     * (indices, shapes, axes, conditions) or unsupported (a Pow exponent); an uncovered input that depends on the
     * differentiated tensor is an error, so a missed dependence is never silent.
     */
    boolean differentiable(int index);

    /** Builds the gradients of the inputs {@code step.wants} from {@code step.dy()}. */
    void backward(Step step);

    private static GradientRule of(IntPredicate differentiable, Consumer<Step> backward) {
        return new GradientRule() {
            @Override
            public boolean differentiable(int index) {
                return differentiable.test(index);
            }

            @Override
            public void backward(Step step) {
                backward.accept(step);
            }
        };
    }

    /** A rule covering the inputs at these positions. */
    static GradientRule onInputs(Consumer<Step> backward, int... inputs) {
        return of(index -> Arrays.stream(inputs).anyMatch(i -> i == index), backward);
    }

    /** A rule covering every input, however many (Concat). */
    static GradientRule onAllInputs(Consumer<Step> backward) {
        return of(index -> true, backward);
    }
}
