package org.vlmscope.graph;

import ai.onnx.proto.OnnxMl.AttributeProto;
import ai.onnx.proto.OnnxMl.NodeProto;
import ai.onnx.proto.OnnxMl.TensorProto;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Predicate;

/**
 * A mutable ONNX graph. Every edit goes through this class, which keeps each value's producer and consumer
 * list in step, so passes can ask "who reads this tensor" in constant time. Node order is insertion order
 * until {@link #toposort()} is called; {@link OnnxModel} sorts before saving.
 */
public final class Graph {
    private String name;
    private final LinkedHashSet<Node> nodes = new LinkedHashSet<>();
    private final Map<String, Value> values = new HashMap<>();
    private final Set<String> nodeNames = new HashSet<>();
    private final Map<String, Integer> nextSuffix = new HashMap<>();
    private final List<Value> inputs = new ArrayList<>();
    private final List<Value> outputs = new ArrayList<>();
    private final LinkedHashMap<String, Value> initializers = new LinkedHashMap<>();

    public Graph(String name) {
        this.name = name;
    }

    public String name() {
        return name;
    }

    public void setName(String name) {
        this.name = name;
    }

    public Collection<Node> nodes() {
        return Collections.unmodifiableCollection(nodes);
    }

    public List<Value> inputs() {
        return Collections.unmodifiableList(inputs);
    }

    public List<Value> outputs() {
        return Collections.unmodifiableList(outputs);
    }

    public Collection<Value> initializers() {
        return Collections.unmodifiableCollection(initializers.values());
    }

    /** The value of that name, or null. */
    public Value value(String valueName) {
        return values.get(valueName);
    }

    /** The value of that name; a GraphException naming it when the graph has none. */
    public Value require(String valueName) {
        Value v = values.get(valueName);
        if (v == null) {
            throw new GraphException("graph '" + name + "' has no tensor named '" + valueName + "'");
        }
        return v;
    }

    public Collection<Value> values() {
        return Collections.unmodifiableCollection(values.values());
    }

    public boolean isGraphOutput(Value v) {
        return outputs.contains(v);
    }

    public boolean isGraphInput(Value v) {
        return inputs.contains(v);
    }

    // ---- names ------------------------------------------------------------------------------------------

    /**
     * A value or node name not yet used in this graph: {@code base} itself when free, else {@code base_N}.
     * The per-base counter keeps repeated requests for the same base amortised constant time.
     */
    public String uniqueName(String base) {
        if (isFree(base)) {
            return base;
        }
        int n = nextSuffix.getOrDefault(base, 1);
        while (!isFree(base + "_" + n)) {
            n++;
        }
        nextSuffix.put(base, n + 1);
        return base + "_" + n;
    }

    private boolean isFree(String candidate) {
        return !values.containsKey(candidate) && !nodeNames.contains(candidate);
    }

    // ---- values -----------------------------------------------------------------------------------------

    /** A new value with exactly this name; an error if the name is taken (hook names must be exact). */
    public Value newValue(String valueName, TensorType type) {
        if (values.containsKey(valueName)) {
            throw new GraphException("graph '" + name + "' already has a tensor named '" + valueName + "'");
        }
        Value v = new Value(valueName, type);
        values.put(valueName, v);
        return v;
    }

    /**
     * Gives {@code v} a new name. Used when a pass splices a tensor in after a hook: the original value is renamed
     * and the spliced result takes the hook's name, so the hook always names what flows downstream.
     */
    public void rename(Value v, String newName) {
        checkOwned(v);
        if (v.isInitializer() || inputs.contains(v)) {
            throw new GraphException("cannot rename '" + v.name() + "': graph inputs and initializers keep their names");
        }
        if (!isFree(newName)) {
            throw new GraphException("cannot rename '" + v.name() + "' to '" + newName + "': the name is taken");
        }
        values.remove(v.name());
        v.setName(newName);
        values.put(newName, v);
    }

    /** A new value named after {@code base}, made unique. */
    public Value freshValue(String base) {
        return newValue(uniqueName(base), null);
    }

    public Value addInput(String inputName, TensorType type) {
        Value v = newValue(inputName, type);
        inputs.add(v);
        return v;
    }

    public void addOutput(Value v) {
        checkOwned(v);
        if (outputs.contains(v)) {
            throw new GraphException("'" + v.name() + "' is already an output of graph '" + name + "'");
        }
        outputs.add(v);
    }

    public void removeOutput(Value v) {
        if (!outputs.remove(v)) {
            throw new GraphException("'" + v.name() + "' is not an output of graph '" + name + "'");
        }
    }

    /** Adds an initializer; its bytes (inline or an external reference) are kept as they are. */
    public Value addInitializer(TensorProto tensor) {
        Value v = values.get(tensor.getName());
        if (v == null) {
            v = newValue(tensor.getName(), null);
        } else if (v.isInitializer() || v.producer() != null) {
            throw new GraphException("graph '" + name + "' already defines '" + tensor.getName() + "'");
        }
        v.setInitializer(tensor);
        if (v.type() == null) {
            v.setType(TensorType.of(TensorProto.DataType.forNumber(tensor.getDataType()),
                    tensor.getDimsList().toArray()));
        }
        initializers.put(v.name(), v);
        return v;
    }

    // ---- nodes ------------------------------------------------------------------------------------------

    /**
     * Adds a node. {@code nodeName} null asks for a unique name derived from the op type. Outputs must be
     * fresh values (no producer, not a graph input or initializer).
     */
    public Node addNode(String opType, String domain, String nodeName, List<Value> nodeInputs,
                        List<Value> nodeOutputs, Map<String, AttributeProto> attributes) {
        String actualName = nodeName != null ? nodeName : uniqueName(opType);
        if (nodeNames.contains(actualName)) {
            throw new GraphException("graph '" + name + "' already has a node named '" + actualName + "'");
        }
        // Check everything before changing anything, so a rejected node leaves the indexes as they were.
        Set<Value> seenOutputs = Collections.newSetFromMap(new IdentityHashMap<>());
        for (Value out : nodeOutputs) {
            checkOwned(out);
            if (out.producer != null || out.isInitializer() || inputs.contains(out) || !seenOutputs.add(out)) {
                throw new GraphException("tensor '" + out.name() + "' already has a producer; node '" + actualName
                        + "' cannot write it");
            }
        }
        for (Value in : nodeInputs) {
            if (in != null) {
                checkOwned(in);
            }
        }
        List<Value> implicit = implicitInputs(actualName, attributes);
        Node node = new Node(actualName, opType, domain == null ? "" : domain, attributes, "");
        for (Value in : nodeInputs) {
            if (in != null) {
                in.consumers.add(node);
            }
            node.inputs.add(in);
        }
        for (Value in : implicit) {
            node.implicitInputs.add(in);
            in.consumers.add(node);
        }
        for (Value out : nodeOutputs) {
            out.producer = node;
            node.outputs.add(out);
        }
        nodes.add(node);
        nodeNames.add(actualName);
        return node;
    }

    /** The outer-scope values that subgraph attributes (If/Loop/Scan bodies) of a new node read. */
    private List<Value> implicitInputs(String nodeName, Map<String, AttributeProto> attributes) {
        boolean hasSubgraph = false;
        for (AttributeProto a : attributes.values()) {
            hasSubgraph |= a.hasG() || a.getGraphsCount() > 0;
        }
        if (!hasSubgraph) {
            return List.of();
        }
        List<Value> found = new ArrayList<>();
        for (String outer : SubgraphScan.outerReferences(NodeProto.newBuilder().addAllAttribute(attributes.values())
                .build())) {
            Value v = values.get(outer);
            if (v == null) {
                throw new GraphException("node '" + nodeName + "' reads tensor '" + outer
                        + "' inside a subgraph, but graph '" + name + "' has no such tensor");
            }
            found.add(v);
        }
        return found;
    }

    /** Forgets a value nothing refers to (no producer, reader, or graph role); used to undo a failed build. */
    void discardUnused(Value v) {
        if (values.get(v.name()) == v && v.producer == null && v.consumers.isEmpty() && !v.isInitializer()
                && !inputs.contains(v) && !outputs.contains(v)) {
            values.remove(v.name());
        }
    }

    /** Removes a node whose outputs are no longer read by anything. */
    public void removeNode(Node node) {
        if (!nodes.contains(node)) {
            throw new GraphException("node '" + node.name() + "' is not in graph '" + name + "'");
        }
        for (Value out : node.outputs) {
            if (!out.consumers.isEmpty() || outputs.contains(out)) {
                throw new GraphException("cannot remove node '" + node.name() + "': its output '" + out.name()
                        + "' is still used");
            }
        }
        unlink(node);
        for (Value out : node.outputs) {
            values.remove(out.name());
        }
    }

    private void unlink(Node node) {
        for (Value in : node.inputs) {
            if (in != null) {
                in.consumers.remove(node);
            }
        }
        for (Value in : node.implicitInputs) {
            in.consumers.remove(node);
        }
        for (Value out : node.outputs) {
            out.producer = null;
        }
        nodes.remove(node);
        nodeNames.remove(node.name());
    }

    /** Makes input {@code index} of {@code node} read {@code v}. */
    public void setInput(Node node, int index, Value v) {
        if (!nodes.contains(node)) {
            throw new GraphException("node '" + node.name() + "' is not in graph '" + name + "'");
        }
        if (v != null) {
            checkOwned(v);
        }
        Value old = node.inputs.get(index);
        if (old != null) {
            old.consumers.remove(node);
        }
        if (v != null) {
            v.consumers.add(node);
        }
        node.inputs.set(index, v);
    }

    /** Every reader of {@code old} (nodes and graph outputs) reads {@code replacement} instead. */
    public void replaceAllUses(Value old, Value replacement) {
        replaceUses(old, replacement, n -> true);
        for (int i = 0; i < outputs.size(); i++) {
            if (outputs.get(i) == old) {
                outputs.set(i, replacement);
            }
        }
    }

    /** The nodes that read {@code old} and pass {@code which} read {@code replacement} instead. */
    public void replaceUses(Value old, Value replacement, Predicate<Node> which) {
        checkOwned(replacement);
        for (Node consumer : new ArrayList<>(new LinkedHashSet<>(old.consumers))) {
            if (!which.test(consumer)) {
                continue;
            }
            for (int i = 0; i < consumer.inputs.size(); i++) {
                if (consumer.inputs.get(i) == old) {
                    setInput(consumer, i, replacement);
                }
            }
        }
    }

    private void checkOwned(Value v) {
        if (values.get(v.name()) != v) {
            throw new GraphException("tensor '" + v.name() + "' does not belong to graph '" + name + "'");
        }
    }

    // ---- whole-graph passes ----------------------------------------------------------------------------

    /**
     * Removes nodes that no graph output depends on, then initializers and graph inputs nothing reads, and
     * values left without producer or reader. Linear in the size of the graph.
     */
    public void cleanup() {
        Set<Node> live = Collections.newSetFromMap(new IdentityHashMap<>());
        ArrayDeque<Node> work = new ArrayDeque<>();
        for (Value out : outputs) {
            if (out.producer != null && live.add(out.producer)) {
                work.add(out.producer);
            }
        }
        while (!work.isEmpty()) {
            Node n = work.poll();
            for (Value in : n.inputs) {
                if (in != null && in.producer != null && live.add(in.producer)) {
                    work.add(in.producer);
                }
            }
            for (Value in : n.implicitInputs) {
                if (in.producer != null && live.add(in.producer)) {
                    work.add(in.producer);
                }
            }
        }
        // Unlink dead nodes in one sweep per touched value: removing them one by one from a long consumer list
        // would cost that list's length per removal (quadratic for a tensor with many dead readers).
        Set<Value> touched = Collections.newSetFromMap(new IdentityHashMap<>());
        for (Node n : new ArrayList<>(nodes)) {
            if (!live.contains(n)) {
                for (Value in : n.inputs) {
                    if (in != null) {
                        touched.add(in);
                    }
                }
                touched.addAll(n.implicitInputs);
                for (Value out : n.outputs) {
                    out.producer = null;
                }
                nodes.remove(n);
                nodeNames.remove(n.name());
            }
        }
        for (Value v : touched) {
            v.consumers.removeIf(c -> !live.contains(c));
        }
        Set<Value> graphOutputs = Collections.newSetFromMap(new IdentityHashMap<>());
        graphOutputs.addAll(outputs);
        initializers.values().removeIf(v -> v.consumers.isEmpty() && !graphOutputs.contains(v));
        inputs.removeIf(v -> v.consumers.isEmpty() && !graphOutputs.contains(v));
        Set<Value> graphInputs = Collections.newSetFromMap(new IdentityHashMap<>());
        graphInputs.addAll(inputs);
        values.values().removeIf(v -> v.producer == null && v.consumers.isEmpty()
                && initializers.get(v.name()) != v && !graphInputs.contains(v) && !graphOutputs.contains(v));
    }

    /** Reorders nodes so every node follows the producers of its inputs (Kahn's algorithm, linear). */
    public void toposort() {
        Map<Node, Integer> pending = new IdentityHashMap<>();
        ArrayDeque<Node> ready = new ArrayDeque<>();
        for (Node n : nodes) {
            int count = 0;
            for (Value in : n.inputs) {
                if (in != null && in.producer != null) {
                    count++;
                }
            }
            for (Value in : n.implicitInputs) {
                if (in.producer != null) {
                    count++;
                }
            }
            pending.put(n, count);
            if (count == 0) {
                ready.add(n);
            }
        }
        List<Node> order = new ArrayList<>(nodes.size());
        while (!ready.isEmpty()) {
            Node n = ready.poll();
            order.add(n);
            for (Value out : n.outputs) {
                for (Node consumer : out.consumers) {
                    int left = pending.merge(consumer, -1, Integer::sum);
                    if (left == 0) {
                        ready.add(consumer);
                    }
                }
            }
        }
        if (order.size() != nodes.size()) {
            Node stuck = nodes.stream().filter(n -> pending.get(n) > 0).findFirst().orElseThrow();
            throw new GraphException("graph '" + name + "' has a cycle through node '" + stuck.name() + "'");
        }
        nodes.clear();
        nodes.addAll(order);
    }

    /** The value named {@code valueName}, created with its declared type (if any) the first time it is named. */
    Value valueOrPlaceholder(String valueName, Map<String, TensorType> declared) {
        Value v = values.get(valueName);
        return v != null ? v : newValue(valueName, declared.get(valueName));
    }

    boolean hasNodeName(String nodeName) {
        return nodeNames.contains(nodeName);
    }

    /** Appends {@code v} to the outputs as a loaded file lists them. */
    void appendOutput(Value v) {
        outputs.add(v);
    }
}
