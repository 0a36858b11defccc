package org.vlmscope.graph;

import ai.onnx.proto.OnnxMl.AttributeProto.AttributeType;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The ONNX operators vlmscope builds, with the signature each had from its {@code sinceVersion} on (from the
 * ONNX operator specification). Ops whose signature changed (axes moving from attribute to input, for
 * example) have one entry per version.
 */
public final class OpSchemas {
    private static final Map<String, List<OpSchema>> BY_OP = new HashMap<>();

    static {
        for (String op : List.of("Add", "Sub", "Mul", "Div")) {
            def(op, 7, "2", "1");
        }
        def("Pow", 7, "2", "1");
        for (String op : List.of("Sqrt", "Reciprocal", "Neg", "Exp", "Log", "Abs", "Floor", "Ceil")) {
            def(op, 6, "1", "1");
        }
        for (String op : List.of("Erf", "Sigmoid", "Tanh", "Relu", "Sign")) {
            def(op, 9, "1", "1");
        }
        for (String op : List.of("Sin", "Cos", "Not", "Softplus")) {
            def(op, 7, "1", "1");
        }
        for (String op : List.of("Equal", "Less", "Greater")) {
            def(op, 7, "2", "1");
        }
        def("LessOrEqual", 12, "2", "1");
        def("GreaterOrEqual", 12, "2", "1");
        for (String op : List.of("And", "Or", "Xor")) {
            def(op, 7, "2", "1");
        }
        def("Mod", 13, "2", "1", "fmod:i");
        def("Max", 13, "1+", "1");
        def("Min", 13, "1+", "1");
        def("Where", 9, "3", "1");
        def("Clip", 13, "1-3", "1");
        def("Cast", 6, "1", "1", "!to:i");
        def("Cast", 19, "1", "1", "!to:i", "saturate:i");
        def("CastLike", 15, "2", "1");
        def("Identity", 1, "1", "1");
        def("MatMul", 1, "2", "1");
        def("Gemm", 11, "2-3", "1", "alpha:f", "beta:f", "transA:i", "transB:i");
        def("Softmax", 13, "1", "1", "axis:i");
        def("LogSoftmax", 13, "1", "1", "axis:i");
        def("LayerNormalization", 17, "2-3", "1-3", "axis:i", "epsilon:f", "stash_type:i");
        for (String op : List.of("ReduceMean", "ReduceMax", "ReduceMin", "ReduceL2", "ReduceProd")) {
            def(op, 1, "1", "1", "axes:ints", "keepdims:i");
            def(op, 18, "1-2", "1", "keepdims:i", "noop_with_empty_axes:i");
        }
        def("ReduceSum", 1, "1", "1", "axes:ints", "keepdims:i");
        def("ReduceSum", 13, "1-2", "1", "keepdims:i", "noop_with_empty_axes:i");
        def("Reshape", 5, "2", "1");
        def("Reshape", 14, "2", "1", "allowzero:i");
        def("Transpose", 1, "1", "1", "perm:ints");
        def("Unsqueeze", 1, "1", "1", "!axes:ints");
        def("Unsqueeze", 13, "2", "1");
        def("Squeeze", 1, "1", "1", "axes:ints");
        def("Squeeze", 13, "1-2", "1");
        def("Flatten", 13, "1", "1", "axis:i");
        def("Concat", 4, "1+", "1", "!axis:i");
        def("Split", 13, "1-2", "1+", "axis:i");
        def("Split", 18, "1-2", "1+", "axis:i", "num_outputs:i");
        def("Slice", 10, "3-5", "1");
        def("Gather", 1, "2", "1", "axis:i");
        def("GatherElements", 11, "2", "1", "axis:i");
        def("GatherND", 12, "2", "1", "batch_dims:i");
        def("ScatterND", 16, "3", "1", "reduction:s");
        def("ScatterElements", 16, "3", "1", "axis:i", "reduction:s");
        def("Expand", 8, "2", "1");
        def("Tile", 13, "2", "1");
        def("Shape", 1, "1", "1");
        def("Shape", 15, "1", "1", "start:i", "end:i");
        def("Size", 13, "1", "1");
        def("Range", 11, "3", "1");
        def("CumSum", 11, "2", "1", "exclusive:i", "reverse:i");
        def("Conv", 11, "2-3", "1", "auto_pad:s", "dilations:ints", "group:i", "kernel_shape:ints", "pads:ints",
                "strides:ints");
        def("TopK", 11, "2", "2", "axis:i", "largest:i", "sorted:i");
        def("ArgMax", 13, "1", "1", "axis:i", "keepdims:i", "select_last_index:i");
        def("Constant", 13, "0", "1", "value:t", "value_float:f", "value_floats:floats", "value_int:i",
                "value_ints:ints", "value_string:s", "value_strings:strings", "sparse_value:sparse");
        def("ConstantOfShape", 9, "1", "1", "value:t");
        def("Trilu", 14, "1-2", "1", "upper:i");
        def("IsNaN", 13, "1", "1");
        def("IsInf", 10, "1", "1", "detect_negative:i", "detect_positive:i");
    }

    private OpSchemas() {
    }

    /**
     * @param inputs  "2", "1-3" or "1+" (at least one)
     * @param outputs the same forms
     * @param attrs   "name:type", with a leading "!" when required; types i, f, s, t, ints, floats, strings, sparse
     */
    private static void def(String op, int since, String inputs, String outputs, String... attrs) {
        int[] in = range(inputs);
        int[] out = range(outputs);
        Map<String, AttributeType> types = new LinkedHashMap<>();
        Set<String> required = new HashSet<>();
        for (String a : attrs) {
            boolean req = a.startsWith("!");
            String[] parts = (req ? a.substring(1) : a).split(":");
            types.put(parts[0], switch (parts[1]) {
                case "i" -> AttributeType.INT;
                case "f" -> AttributeType.FLOAT;
                case "s" -> AttributeType.STRING;
                case "t" -> AttributeType.TENSOR;
                case "ints" -> AttributeType.INTS;
                case "floats" -> AttributeType.FLOATS;
                case "strings" -> AttributeType.STRINGS;
                case "sparse" -> AttributeType.SPARSE_TENSOR;
                default -> throw new IllegalArgumentException(a);
            });
            if (req) {
                required.add(parts[0]);
            }
        }
        BY_OP.computeIfAbsent(op, k -> new ArrayList<>())
                .add(new OpSchema(op, since, in[0], in[1], out[0], out[1], Map.copyOf(types), Set.copyOf(required)));
        BY_OP.get(op).sort((a, b) -> Integer.compare(a.sinceVersion(), b.sinceVersion()));
    }

    private static int[] range(String spec) {
        if (spec.endsWith("+")) {
            return new int[] {Integer.parseInt(spec.substring(0, spec.length() - 1)), OpSchema.VARIADIC};
        }
        String[] parts = spec.split("-");
        int lo = Integer.parseInt(parts[0]);
        return new int[] {lo, parts.length > 1 ? Integer.parseInt(parts[1]) : lo};
    }

    /** The schema in force for {@code opType} at {@code opset}; a GraphException when the op is unknown or newer. */
    public static OpSchema lookup(String opType, long opset) {
        List<OpSchema> versions = BY_OP.get(opType);
        if (versions == null) {
            throw new GraphException("op builder does not know op '" + opType + "'");
        }
        OpSchema found = null;
        for (OpSchema s : versions) {
            if (s.sinceVersion() <= opset) {
                found = s;
            }
        }
        if (found == null) {
            throw new GraphException("op '" + opType + "' needs opset " + versions.get(0).sinceVersion()
                    + " or later; this model is at opset " + opset);
        }
        return found;
    }
}
