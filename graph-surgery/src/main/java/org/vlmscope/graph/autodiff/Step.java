package org.vlmscope.graph.autodiff;

import java.util.List;
import org.vlmscope.graph.GraphException;
import org.vlmscope.graph.Node;
import org.vlmscope.graph.TensorType;
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
     * The summation is skipped where the input visibly has the output's shape already.
     */
    Value sumToInput(Value g, int index) {
        return elementwiseSameShape(index) ? g : ops.sumTo(g, in(index));
    }

    /**
     * True when input {@code index} provably has the output's shape: both declare the same shape (named dimensions
     * are equal by name), or every other input is a rank-0 initializer or the same tensor.
     */
    private boolean elementwiseSameShape(int index) {
        Value x = in(index);
        if (sameDeclaredShape(x.type(), out().type())) {
            return true;
        }
        List<Value> inputs = node.inputs();
        for (Value other : inputs) {
            boolean scalarConstant = other.isInitializer() && other.initializer().getDimsCount() == 0;
            if (other != x && !scalarConstant) {
                return false;
            }
        }
        return true;
    }

    private static boolean sameDeclaredShape(TensorType a, TensorType b) {
        if (a == null || b == null || a.shape() == null || b.shape() == null || a.rank() != b.rank()) {
            return false;
        }
        for (int i = 0; i < a.rank(); i++) {
            TensorType.Dim da = a.shape().get(i);
            TensorType.Dim db = b.shape().get(i);
            boolean known = da.isFixed() || da.param() != null;
            if (!known || !da.equals(db)) {
                return false;
            }
        }
        return true;
    }
}
