package org.vlmscope.graph.locate;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import org.vlmscope.graph.Graph;
import org.vlmscope.graph.GraphException;
import org.vlmscope.graph.Node;
import org.vlmscope.graph.Value;

/**
 * The residual stream of a decoder: a chain of steps, each adding a branch computed from the stream back onto it.
 * A step is an {@code Add} (PyTorch's exporter) or a fused {@code Skip(Simplified)LayerNormalization} whose fourth
 * output is the sum (ONNX Runtime's builder). The chain starts at the first step in graph order and follows the
 * stream from step to step until no step reads it; a stream may pass through Casts that change nothing.
 */
final class ResidualChain {
    static final Set<String> SKIP_NORMS = Set.of("SkipSimplifiedLayerNormalization", "SkipLayerNormalization");
    /** Output of a fused skip norm that carries input + skip (+ bias): the new stream. */
    static final int SKIP_SUM_OUTPUT = 3;

    /** One residual step: {@code next = stream + branch}, where the branch depends on the stream. */
    record Step(Node node, Value stream, Value branch, Value next, List<Node> branchNodes) {
    }

    private final ElementTypes types;
    /** roots.get(j) is the stream before step j; the last root is the stream after the last step. */
    final List<Value> roots = new ArrayList<>();
    final List<Step> steps = new ArrayList<>();

    private ResidualChain(ElementTypes types) {
        this.types = types;
    }

    /** The chain from the first residual step in node order (nodes must be topologically sorted); empty when none. */
    static ResidualChain find(Graph graph, ElementTypes types) {
        ResidualChain chain = new ResidualChain(types);
        for (Node n : graph.nodes()) {
            for (int s = 0; s < 2; s++) {
                Step step = chain.stepAt(n, s, null);
                if (step != null) {
                    chain.roots.add(chain.root(step.stream()));
                    chain.walk();
                    return chain;
                }
            }
        }
        return chain;
    }

    private void walk() {
        while (true) {
            Value stream = roots.get(roots.size() - 1);
            List<Step> next = new ArrayList<>();
            for (Value alias : aliases(stream)) {
                for (Node reader : new ArrayList<>(new LinkedHashSet<>(alias.consumers()))) {
                    for (int s = 0; s < 2; s++) {
                        Step step = reader.input(s) == alias ? stepAt(reader, s, stream) : null;
                        if (step != null) {
                            next.add(step);
                        }
                    }
                }
            }
            if (next.isEmpty()) {
                return;
            }
            if (next.size() > 1) {
                throw new GraphException("the residual stream '" + stream.name() + "' feeds " + next.size()
                        + " residual additions (" + next.stream().map(st -> "'" + st.node().name() + "'").toList()
                        + "); a decoder's stream feeds exactly one");
            }
            Step step = next.get(0);
            steps.add(step);
            roots.add(step.next());
        }
    }

    /**
     * The step {@code n} makes when its input {@code streamIndex} is the stream: it must be a residual op whose
     * other operand is computed from that stream (from {@code root} when known, else from the operand's own root).
     */
    private Step stepAt(Node n, int streamIndex, Value root) {
        boolean add = n.opType().equals("Add") && n.inputs().size() == 2;
        boolean skip = SKIP_NORMS.contains(n.opType()) && n.inputs().size() >= 2;
        if (!add && !skip) {
            return null;
        }
        Value stream = n.input(streamIndex);
        Value branch = n.input(1 - streamIndex);
        if (stream == null || branch == null || stream == branch) {
            return null;
        }
        Value next = add ? n.output(0) : n.outputs().size() > SKIP_SUM_OUTPUT ? n.output(SKIP_SUM_OUTPUT) : null;
        if (next == null) {
            return null;
        }
        Value from = root != null ? root : root(stream);
        List<Node> cone = new ArrayList<>();
        return reaches(branch, from, cone) ? new Step(n, stream, branch, next, cone) : null;
    }

    /** The value {@code v} copies through no-op Casts and Identities, or {@code v} itself. */
    Value root(Value v) {
        Value r = v;
        while (r.producer() != null && types.isNoOp(r.producer()) && r.producer().input(0) != null) {
            r = r.producer().input(0);
        }
        return r;
    }

    /** {@code v} and the tensors that copy it through no-op Casts and Identities. */
    List<Value> aliases(Value v) {
        List<Value> out = new ArrayList<>(List.of(v));
        for (int i = 0; i < out.size(); i++) {
            for (Node reader : out.get(i).consumers()) {
                if (types.isNoOp(reader) && !out.contains(reader.output(0))) {
                    out.add(reader.output(0));
                }
            }
        }
        return out;
    }

    /**
     * Whether {@code from} is computed from {@code target}, walking producers backwards and never past
     * {@code target}; the nodes walked (the branch) are added to {@code cone}. Reading another output of the node
     * that writes {@code target} counts: a fused skip norm's normalized output is computed from the sum it writes.
     */
    private static boolean reaches(Value from, Value target, List<Node> cone) {
        Set<Node> seen = Collections.newSetFromMap(new IdentityHashMap<>());
        ArrayDeque<Value> work = new ArrayDeque<>(List.of(from));
        boolean found = false;
        while (!work.isEmpty()) {
            Value v = work.poll();
            Node p = v.producer();
            if (v == target || p != null && p == target.producer()) {
                found = true;
                continue;
            }
            if (p == null || !seen.add(p)) {
                continue;
            }
            cone.add(p);
            for (Value in : p.inputs()) {
                if (in != null) {
                    work.add(in);
                }
            }
            work.addAll(p.implicitInputs());
        }
        return found;
    }
}
