package org.vlmscope.graph;

import ai.onnx.proto.OnnxMl.AttributeProto;
import ai.onnx.proto.OnnxMl.GraphProto;
import ai.onnx.proto.OnnxMl.NodeProto;
import ai.onnx.proto.OnnxMl.TensorProto;
import ai.onnx.proto.OnnxMl.ValueInfoProto;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The protobuf codec of the graph IR, kept apart from {@link Graph} as onnx-graphsurgeon keeps its importers and
 * exporters apart from its IR: {@link #read} builds a Graph through its edits, {@link #write} serialises one.
 */
public final class GraphProtos {
    private GraphProtos() {
    }

    /** The IR of a GraphProto: values linked to their producers and consumers, names kept where they are unique. */
    public static Graph read(GraphProto proto) {
        Graph g = new Graph(proto.getName());
        Map<String, TensorType> declared = new HashMap<>();
        for (ValueInfoProto vi : proto.getValueInfoList()) {
            declared.put(vi.getName(), TensorType.fromProto(vi.getType()));
        }
        for (ValueInfoProto vi : proto.getInputList()) {
            g.addInput(vi.getName(), TensorType.fromProto(vi.getType()));
        }
        for (TensorProto t : proto.getInitializerList()) {
            g.addInitializer(t);
        }
        // Register every tensor name first: nodes may come in any order, and a name generated below (for an
        // omitted optional output) must not capture a tensor that a later node writes.
        for (NodeProto np : proto.getNodeList()) {
            for (String in : np.getInputList()) {
                if (!in.isEmpty()) {
                    g.valueOrPlaceholder(in, declared);
                }
            }
            for (String out : np.getOutputList()) {
                if (!out.isEmpty()) {
                    g.valueOrPlaceholder(out, declared);
                }
            }
            for (String outer : SubgraphScan.outerReferences(np)) {
                g.valueOrPlaceholder(outer, declared);
            }
        }
        for (NodeProto np : proto.getNodeList()) {
            List<Value> ins = new ArrayList<>();
            for (String in : np.getInputList()) {
                ins.add(in.isEmpty() ? null : g.valueOrPlaceholder(in, declared));
            }
            List<Value> outs = new ArrayList<>();
            for (String out : np.getOutputList()) {
                // An omitted optional output gets a private name so the IR never holds an empty name.
                outs.add(out.isEmpty() ? g.freshValue(np.getOpType() + "_unused") : g.valueOrPlaceholder(out, declared));
            }
            Map<String, AttributeProto> attrs = new LinkedHashMap<>();
            for (AttributeProto a : np.getAttributeList()) {
                attrs.put(a.getName(), a);
            }
            String nodeName = np.getName().isEmpty() || g.hasNodeName(np.getName())
                    ? g.uniqueName(np.getOpType()) : np.getName();
            g.addNode(np.getOpType(), np.getDomain(), nodeName, ins, outs, attrs);
        }
        for (ValueInfoProto vi : proto.getOutputList()) {
            Value v = g.value(vi.getName());
            if (v == null) {
                throw new GraphException("graph output '" + vi.getName() + "' is produced by nothing");
            }
            TensorType t = TensorType.fromProto(vi.getType());
            if (t != null) {
                v.setType(t);
            }
            g.appendOutput(v);
        }
        return g;
    }

    /** The GraphProto of the IR: inputs, initializers, nodes in their current order, outputs, typed intermediates. */
    public static GraphProto write(Graph g) {
        GraphProto.Builder b = GraphProto.newBuilder().setName(g.name());
        for (Value in : g.inputs()) {
            b.addInput(valueInfo(in));
        }
        for (Value init : g.initializers()) {
            b.addInitializer(init.initializer());
        }
        for (Node n : g.nodes()) {
            NodeProto.Builder nb = NodeProto.newBuilder().setName(n.name()).setOpType(n.opType());
            if (!n.domain().isEmpty()) {
                nb.setDomain(n.domain());
            }
            for (Value in : n.inputs) {
                nb.addInput(in == null ? "" : in.name());
            }
            for (Value out : n.outputs) {
                nb.addOutput(out.name());
            }
            nb.addAllAttribute(n.attributes().values());
            b.addNode(nb);
        }
        for (Value out : g.outputs()) {
            b.addOutput(valueInfo(out));
        }
        for (Node n : g.nodes()) {
            for (Value out : n.outputs) {
                if (out.type() != null && !g.outputs().contains(out)) {
                    b.addValueInfo(valueInfo(out));
                }
            }
        }
        return b.build();
    }

    private static ValueInfoProto valueInfo(Value v) {
        ValueInfoProto.Builder vb = ValueInfoProto.newBuilder().setName(v.name());
        if (v.type() != null) {
            vb.setType(v.type().toProto());
        }
        return vb.build();
    }
}
