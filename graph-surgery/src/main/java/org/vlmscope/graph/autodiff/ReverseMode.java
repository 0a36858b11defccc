package org.vlmscope.graph.autodiff;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.vlmscope.graph.Graph;
import org.vlmscope.graph.GraphException;
import org.vlmscope.graph.Node;
import org.vlmscope.graph.Ops;
import org.vlmscope.graph.Value;

/**
 * Reverse-mode differentiation inside the graph: appends the nodes that compute the gradient of
 * sum(seed * output) with respect to one tensor. Only nodes on a path from that tensor to the output get backward
 * nodes; every other branch (rotary angles, the causal mask, the KV-cache outputs) is left out.
 */
public final class ReverseMode {
    private ReverseMode() {
    }

    /**
     * Builds d sum(seed * output) / d wrt and returns it (shape and element type of {@code wrt}). {@code seed} has the
     * output's shape and type. A GraphException names the node when an op on the path has no rule, and says so when
     * the output does not depend on {@code wrt} through differentiable ops.
     */
    public static Value gradient(Graph graph, Ops ops, Value output, Value seed, Value wrt) {
        graph.toposort();
        List<Node> order = new ArrayList<>(graph.nodes());
        Set<Value> toOutput = reachingTo(output);
        if (!toOutput.contains(wrt)) {
            throw new GraphException("gradient: '" + output.name() + "' does not depend on '" + wrt.name()
                    + "' through differentiable operations");
        }
        // The tensors on a path from wrt to the output: exactly those that receive a gradient.
        Set<Value> needed = reachableFrom(order, wrt);
        needed.retainAll(toOutput);
        GradOps gradOps = new GradOps(ops, StaticShapes.infer(order));
        Map<Value, Value> grads = new IdentityHashMap<>();
        grads.put(output, seed);
        for (int n = order.size() - 1; n >= 0; n--) {
            Node node = order.get(n);
            if (node.outputs().stream().noneMatch(needed::contains) || !readsNeeded(node, needed)) {
                continue;
            }
            Step step = backward(node, needed, grads, gradOps);
            for (int i = 0; i < step.inputCount(); i++) {
                if (step.wants(i)) {
                    grads.merge(node.input(i), step.grad(i), gradOps::add);
                }
            }
        }
        return grads.get(wrt);
    }

    /** Runs the node's rule on the gradient of its first output. */
    private static Step backward(Node node, Set<Value> needed, Map<Value, Value> grads, GradOps gradOps) {
        GradientRule rule = Rules.lookup(node);
        if (rule == null || !node.implicitInputs().isEmpty()) {
            throw new GraphException("gradient: no gradient rule for op " + node.opType() + " (node '" + node.name()
                    + "'), which lies on the path being differentiated");
        }
        for (int k = 1; k < node.outputs().size(); k++) {
            if (needed.contains(node.output(k))) {
                throw new GraphException("gradient: output " + k + " ('" + node.output(k).name() + "') of "
                        + node.opType() + " node '" + node.name() + "' is differentiated, but only the first output of "
                        + node.opType() + " has a gradient rule");
            }
        }
        boolean[] wanted = new boolean[node.inputs().size()];
        for (int i = 0; i < wanted.length; i++) {
            Value in = node.input(i);
            wanted[i] = in != null && needed.contains(in);
            if (wanted[i] && !rule.differentiable(i)) {
                throw new GraphException("gradient: input " + i + " ('" + in.name() + "') of " + node.opType()
                        + " node '" + node.name() + "' depends on the differentiated tensor, but the " + node.opType()
                        + " rule has no gradient for that input");
            }
        }
        Step step = new Step(node, grads.get(node.output(0)), wanted, gradOps);
        rule.backward(step);
        for (int i = 0; i < wanted.length; i++) {
            if (wanted[i] && step.grad(i) == null) {
                throw new IllegalStateException("the " + node.opType() + " rule gave no gradient for input " + i);
            }
        }
        return step;
    }

    private static boolean readsNeeded(Node node, Set<Value> needed) {
        return node.inputs().stream().anyMatch(v -> v != null && needed.contains(v))
                || node.implicitInputs().stream().anyMatch(needed::contains);
    }

    /** Values that depend on {@code wrt} through nodes that can carry gradient, in topological {@code order}. */
    private static Set<Value> reachableFrom(List<Node> order, Value wrt) {
        Set<Value> reached = Collections.newSetFromMap(new IdentityHashMap<>());
        reached.add(wrt);
        for (Node node : order) {
            if (Rules.carriesGradient(node) && readsNeeded(node, reached)) {
                reached.addAll(node.outputs());
            }
        }
        return reached;
    }

    /** Values the output depends on through nodes that can carry gradient. */
    private static Set<Value> reachingTo(Value output) {
        Set<Value> reached = Collections.newSetFromMap(new IdentityHashMap<>());
        ArrayDeque<Value> work = new ArrayDeque<>(List.of(output));
        reached.add(output);
        while (!work.isEmpty()) {
            Node producer = work.poll().producer();
            if (producer == null || !Rules.carriesGradient(producer)) {
                continue;
            }
            List<Value> sources = new ArrayList<>(producer.inputs());
            sources.addAll(producer.implicitInputs());
            for (Value in : sources) {
                if (in != null && reached.add(in)) {
                    work.add(in);
                }
            }
        }
        return reached;
    }
}
