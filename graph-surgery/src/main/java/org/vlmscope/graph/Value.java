package org.vlmscope.graph;

import ai.onnx.proto.OnnxMl.TensorProto;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * A named tensor in a graph: produced by one node, or a graph input, or an initializer. The graph keeps
 * {@link #producer()} and {@link #consumers()} in step with every edit; nothing else may change them.
 */
public final class Value {
    /** Changed only by {@link Graph#rename}, which keeps the graph's name index in step. */
    private String name;
    private TensorType type;
    private TensorProto initializer;
    Node producer;
    /** One entry per use: a node that reads this value twice appears twice. */
    final List<Node> consumers = new ArrayList<>();

    Value(String name, TensorType type) {
        this.name = name;
        this.type = type;
    }

    public String name() {
        return name;
    }

    void setName(String name) {
        this.name = name;
    }

    /** Element type and shape when known (graph inputs, outputs, value_info, initializers), else null. */
    public TensorType type() {
        return type;
    }

    public void setType(TensorType type) {
        this.type = type;
    }

    /** The initializer's metadata (and inline bytes for small tensors); external bytes are never read. */
    public TensorProto initializer() {
        return initializer;
    }

    void setInitializer(TensorProto initializer) {
        this.initializer = initializer;
    }

    public boolean isInitializer() {
        return initializer != null;
    }

    public Node producer() {
        return producer;
    }

    public List<Node> consumers() {
        return Collections.unmodifiableList(consumers);
    }

    @Override
    public String toString() {
        return name + (type != null ? ":" + type : "");
    }
}
