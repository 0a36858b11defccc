package org.vlmscope.graph;

import ai.onnx.proto.OnnxMl.AttributeProto;
import ai.onnx.proto.OnnxMl.GraphProto;
import ai.onnx.proto.OnnxMl.NodeProto;
import ai.onnx.proto.OnnxMl.TensorProto;
import ai.onnx.proto.OnnxMl.ValueInfoProto;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/** Finds the outer-scope tensors that control-flow bodies (If, Loop, Scan) read implicitly. */
final class SubgraphScan {
    private SubgraphScan() {
    }

    static Set<String> outerReferences(NodeProto node) {
        Set<String> refs = new LinkedHashSet<>();
        for (AttributeProto a : node.getAttributeList()) {
            List<GraphProto> bodies = new ArrayList<>();
            if (a.hasG()) {
                bodies.add(a.getG());
            }
            bodies.addAll(a.getGraphsList());
            for (GraphProto body : bodies) {
                collect(body, refs);
            }
        }
        return refs;
    }

    private static void collect(GraphProto body, Set<String> refs) {
        Set<String> local = new HashSet<>();
        body.getInputList().stream().map(ValueInfoProto::getName).forEach(local::add);
        body.getInitializerList().stream().map(TensorProto::getName).forEach(local::add);
        for (NodeProto n : body.getNodeList()) {
            local.addAll(n.getOutputList());
        }
        for (NodeProto n : body.getNodeList()) {
            for (String in : n.getInputList()) {
                if (!in.isEmpty() && !local.contains(in)) {
                    refs.add(in);
                }
            }
            for (String nested : outerReferences(n)) {
                if (!local.contains(nested)) {
                    refs.add(nested);
                }
            }
        }
        for (ValueInfoProto out : body.getOutputList()) {
            if (!local.contains(out.getName())) {
                refs.add(out.getName());
            }
        }
    }
}
