package org.vlmscope.graph.locate;

import ai.onnx.proto.OnnxMl.AttributeProto;
import ai.onnx.proto.OnnxMl.TensorProto.DataType;
import java.util.IdentityHashMap;
import java.util.Map;
import java.util.Set;
import org.vlmscope.graph.Graph;
import org.vlmscope.graph.Node;
import org.vlmscope.graph.Value;

/**
 * The element type of every tensor whose type follows from the graph inputs, initializers and a few operator
 * rules, in one pass over the sorted nodes. Exporters rarely declare the types of intermediate tensors (PyTorch's
 * does not), yet the locator must tell a Cast that changes nothing (float to float, which PyTorch writes for
 * {@code x.to(torch.float32)} and then reads the residual from) from one that does, and
 * {@link org.vlmscope.graph.passes.AccumulateInFloat32} must find the fp16 products.
 */
public final class ElementTypes {
    private static final Set<String> INT64_RESULTS = Set.of("Shape", "Size", "NonZero", "ArgMax", "ArgMin");
    private static final Set<String> BOOL_RESULTS = Set.of("Equal", "Less", "Greater", "LessOrEqual",
            "GreaterOrEqual", "And", "Or", "Not", "Xor", "IsNaN", "IsInf");

    private final Map<Value, DataType> types = new IdentityHashMap<>();

    /** Infers over {@code graph}, whose nodes must be in topological order. */
    public ElementTypes(Graph graph) {
        for (Value v : graph.values()) {
            if (v.type() != null && v.type().elemType() != null) {
                types.put(v, v.type().elemType());
            }
        }
        for (Node n : graph.nodes()) {
            DataType t = rule(n);
            for (Value out : n.outputs()) {
                if (t != null) {
                    types.putIfAbsent(out, t);
                }
            }
            if (n.opType().equals("TopK") && n.outputs().size() > 1) {
                types.put(n.output(1), DataType.INT64);
            }
        }
    }

    /**
     * Whether any value of {@code graph} can have element type {@code t}, without sorting the graph: a value
     * declared with it, or a node that takes it from its own attributes (Cast, Constant, ConstantOfShape). Every
     * other rule passes on a type that an input already has, so without such a source no value has it.
     */
    public static boolean mayHold(Graph graph, DataType t) {
        for (Value v : graph.values()) {
            if (v.type() != null && v.type().elemType() == t) {
                return true;
            }
        }
        for (Node n : graph.nodes()) {
            String op = n.opType();
            boolean made = op.equals("Cast") ? n.intAttribute("to", 0) == t.getNumber()
                    : (op.equals("Constant") || op.equals("ConstantOfShape")) && constantType(n) == t;
            if (made) {
                return true;
            }
        }
        return false;
    }

    /** The element type of {@code v}, or null when it does not follow from the rules. */
    public DataType of(Value v) {
        return types.get(v);
    }

    /** True for a Cast or Identity whose output equals its input (a Cast to the type it already has). */
    boolean isNoOp(Node n) {
        if (n.opType().equals("Identity")) {
            return true;
        }
        if (!n.opType().equals("Cast") || n.input(0) == null) {
            return false;
        }
        DataType in = of(n.input(0));
        return in != null && in.getNumber() == n.intAttribute("to", -1);
    }

    private DataType rule(Node n) {
        String op = n.opType();
        if (op.equals("Cast")) {
            return DataType.forNumber((int) n.intAttribute("to", 0));
        }
        if (op.equals("CastLike")) {
            return n.input(1) == null ? null : of(n.input(1));
        }
        if (INT64_RESULTS.contains(op)) {
            return DataType.INT64;
        }
        if (BOOL_RESULTS.contains(op)) {
            return DataType.BOOL;
        }
        if (op.equals("Constant") || op.equals("ConstantOfShape")) {
            return constantType(n);
        }
        if (op.equals("Where")) {
            return n.input(1) == null ? null : of(n.input(1));
        }
        for (Value in : n.inputs()) {
            DataType t = in == null ? null : of(in);
            if (t != null) {
                return t;
            }
        }
        return null;
    }

    private static DataType constantType(Node n) {
        AttributeProto value = n.attribute("value");
        if (value != null) {
            return DataType.forNumber(value.getT().getDataType());
        }
        if (n.attribute("value_float") != null || n.attribute("value_floats") != null) {
            return DataType.FLOAT;
        }
        if (n.attribute("value_int") != null || n.attribute("value_ints") != null) {
            return DataType.INT64;
        }
        return n.opType().equals("ConstantOfShape") ? DataType.FLOAT : null;
    }
}
