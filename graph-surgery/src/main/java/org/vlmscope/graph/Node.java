package org.vlmscope.graph;

import ai.onnx.proto.OnnxMl.AttributeProto;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * One operator application. Inputs may contain null for an omitted optional input. Edits go through
 * {@link Graph} so that the producer and consumer indexes stay in step.
 */
public final class Node {
    private final String name;
    private final String opType;
    private final String domain;
    final List<Value> inputs = new ArrayList<>();
    final List<Value> outputs = new ArrayList<>();
    /** Outer-scope values read inside subgraph attributes (If/Loop/Scan bodies); kept so cleanup sees them. */
    final List<Value> implicitInputs = new ArrayList<>();
    private final Map<String, AttributeProto> attributes;
    private final String docString;

    Node(String name, String opType, String domain, Map<String, AttributeProto> attributes, String docString) {
        this.name = name;
        this.opType = opType;
        this.domain = domain;
        this.attributes = new LinkedHashMap<>(attributes);
        this.docString = docString;
    }

    public String name() {
        return name;
    }

    public String opType() {
        return opType;
    }

    /** Operator domain; "" is the default ONNX domain. */
    public String domain() {
        return domain;
    }

    public List<Value> inputs() {
        return Collections.unmodifiableList(inputs);
    }

    public Value input(int i) {
        return i < inputs.size() ? inputs.get(i) : null;
    }

    public List<Value> outputs() {
        return Collections.unmodifiableList(outputs);
    }

    public Value output(int i) {
        return outputs.get(i);
    }

    public List<Value> implicitInputs() {
        return Collections.unmodifiableList(implicitInputs);
    }

    public Map<String, AttributeProto> attributes() {
        return Collections.unmodifiableMap(attributes);
    }

    public AttributeProto attribute(String attrName) {
        return attributes.get(attrName);
    }

    public long intAttribute(String attrName, long defaultValue) {
        AttributeProto a = attributes.get(attrName);
        return a == null ? defaultValue : a.getI();
    }

    public List<Long> intsAttribute(String attrName) {
        AttributeProto a = attributes.get(attrName);
        return a == null ? List.of() : a.getIntsList();
    }

    public float floatAttribute(String attrName, float defaultValue) {
        AttributeProto a = attributes.get(attrName);
        return a == null ? defaultValue : a.getF();
    }

    String docString() {
        return docString;
    }

    @Override
    public String toString() {
        return opType + " '" + name + "'";
    }
}
