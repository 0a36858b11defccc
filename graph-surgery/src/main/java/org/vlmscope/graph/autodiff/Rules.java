package org.vlmscope.graph.autodiff;

import ai.onnx.proto.OnnxMl.TensorProto.DataType;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import org.vlmscope.graph.ElemTypes;
import org.vlmscope.graph.Node;

/** The gradient rules by op type, and the ops whose outputs carry no gradient at all. */
final class Rules {
    private static final Map<String, GradientRule> BY_OP = new HashMap<>();

    /**
     * Ops with integer or boolean results: a float tensor feeding them (inputs_embeds into the Shape that sizes
     * the causal mask) reaches their consumers without any gradient.
     */
    private static final Set<String> DISCRETE = Set.of("Shape", "Size", "Equal", "Less", "LessOrEqual", "Greater",
            "GreaterOrEqual", "ArgMax", "IsNaN", "IsInf");

    static {
        ElementwiseRules.addTo(BY_OP);
        ShapeRules.addTo(BY_OP);
        ReductionRules.addTo(BY_OP);
        IndexRules.addTo(BY_OP);
        MatMulRules.addTo(BY_OP);
        NormalizationRules.addTo(BY_OP);
    }

    private Rules() {
    }

    /** The rule for the node's op, or null when there is none. */
    static GradientRule lookup(Node node) {
        return node.domain().isEmpty() || node.domain().equals("ai.onnx") ? BY_OP.get(node.opType()) : null;
    }

    /** Whether the node's outputs can carry gradient: not a discrete op, not a cast to an integer or boolean type. */
    static boolean carriesGradient(Node node) {
        if (DISCRETE.contains(node.opType())) {
            return false;
        }
        if (node.opType().equals("Cast")) {
            return ElemTypes.isFloating(DataType.forNumber((int) node.intAttribute("to", 0)));
        }
        return true;
    }
}
