package org.vlmscope.graph.autodiff;

import org.vlmscope.graph.GraphException;
import org.vlmscope.graph.Node;
import org.vlmscope.graph.Value;

/** One node's turn in the backward sweep: what its rule reads (dy, the forward tensors) and the gradients it gives. */
final class Step {
    private final Node node;
    private final Value dy;
    private final boolean[] wanted;
    private final Value[] grads;
    final GradOps ops;

    Step(Node node, Value dy, boolean[] wanted, GradOps ops) {
        this.node = node;
        this.dy = dy;
        this.wanted = wanted;
        this.grads = new Value[wanted.length];
        this.ops = ops;
    }

    Node node() {
        return node;
    }

    /** Gradient of the node's first output. */
    Value dy() {
        return dy;
    }

    Value in(int index) {
        return node.input(index);
    }

    /** The node's first output (the forward value rules reuse). */
    Value out() {
        return node.output(0);
    }

    boolean wants(int index) {
        return wanted[index];
    }

    void grad(int index, Value g) {
        if (!wanted[index]) {
            throw new IllegalStateException(node + ": its rule gave a gradient for input " + index + ", not asked for");
        }
        grads[index] = g;
    }

    Value grad(int index) {
        return grads[index];
    }

    int inputCount() {
        return wanted.length;
    }

    /** A GraphException naming this node, for a rule that cannot handle what it found. */
    GraphException unsupported(String what) {
        return new GraphException("gradient: " + node.opType() + " node '" + node.name() + "': " + what);
    }

    /**
     * {@code g}, the gradient of an elementwise broadcasting node's output, summed back to input {@code index}.
     * Nothing is summed when every other input is a rank-0 constant or this same tensor, which broadcast nothing.
     */
    Value sumToInput(Value g, int index) {
        Value x = in(index);
        boolean alone = node.inputs().stream()
                .allMatch(other -> other == x || other.isInitializer() && other.initializer().getDimsCount() == 0);
        return alone ? g : ops.sumTo(g, ops.shapes().of(out()), x);
    }
}
