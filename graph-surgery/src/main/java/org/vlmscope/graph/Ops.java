package org.vlmscope.graph;

import ai.onnx.proto.OnnxMl.AttributeProto;
import ai.onnx.proto.OnnxMl.TensorProto;
import ai.onnx.proto.OnnxMl.TensorProto.DataType;
import com.google.protobuf.ByteString;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.vlmscope.core.HalfFloats;

/**
 * Opset-aware builder of nodes in one graph. Each node is checked against {@link OpSchemas} when it is built
 * (input and output counts, attribute names and types, required attributes), and every generated name comes
 * from {@link Graph#uniqueName}, the one place names are made.
 */
public final class Ops {
    private final Graph graph;
    private final long opset;

    public Ops(Graph graph, long opset) {
        this.graph = graph;
        this.opset = opset;
    }

    public Graph graph() {
        return graph;
    }

    public long opset() {
        return opset;
    }

    public NodeBuilder op(String opType) {
        return new NodeBuilder(opType);
    }

    /** One node under construction: inputs, attributes, then {@code out(...)} builds and checks it. */
    public final class NodeBuilder {
        private final String opType;
        private final List<Value> inputs = new ArrayList<>();
        private final Map<String, AttributeProto> attributes = new LinkedHashMap<>();
        private String nodeName;

        private NodeBuilder(String opType) {
            this.opType = opType;
        }

        /** Appends inputs; null stands for an omitted optional input. */
        public NodeBuilder in(Value... values) {
            inputs.addAll(Arrays.asList(values));
            return this;
        }

        public NodeBuilder in(List<Value> values) {
            inputs.addAll(values);
            return this;
        }

        public NodeBuilder attr(String name, Object value) {
            attributes.put(name, Attributes.of(name, value));
            return this;
        }

        public NodeBuilder name(String name) {
            this.nodeName = name;
            return this;
        }

        /** Builds a single-output node whose output gets a fresh name. */
        public Value out() {
            return buildNamed(List.of(opType.toLowerCase()), false).get(0);
        }

        /** Builds a single-output node whose output has exactly this name (hook names must be exact). */
        public Value out(String exactName) {
            return buildNamed(List.of(exactName), true).get(0);
        }

        /** Builds a node with {@code count} outputs, freshly named. */
        public List<Value> outs(int count) {
            return buildNamed(Collections.nCopies(count, opType.toLowerCase()), false);
        }

        /**
         * Checks the node first and only then makes its output values, so a rejected node leaves no stray value
         * behind (an exact hook name stays free for the corrected retry).
         */
        private List<Value> buildNamed(List<String> names, boolean exact) {
            check(names.size());
            List<Value> outs = new ArrayList<>();
            try {
                for (String n : names) {
                    outs.add(exact ? graph.newValue(n, null) : graph.freshValue(n));
                }
                return graph.addNode(opType, "", nodeName, inputs.subList(0, lastPresent()), outs, attributes)
                        .outputs();
            } catch (GraphException e) {
                outs.forEach(graph::discardUnused);
                throw e;
            }
        }

        public Node build(List<Value> outputs) {
            check(outputs.size());
            return graph.addNode(opType, "", nodeName, inputs.subList(0, lastPresent()), outputs, attributes);
        }

        /** Index after the last input that is not an omitted (null) optional input. */
        private int lastPresent() {
            int lastPresent = inputs.size();
            while (lastPresent > 0 && inputs.get(lastPresent - 1) == null) {
                lastPresent--;
            }
            return lastPresent;
        }

        private void check(int outputCount) {
            OpSchema schema = OpSchemas.lookup(opType, opset);
            String where = "op " + opType + (nodeName != null ? " '" + nodeName + "'" : "");
            int lastPresent = lastPresent();
            if (lastPresent < schema.minInputs() || lastPresent > schema.maxInputs()) {
                throw new GraphException(where + " takes " + count(schema.minInputs(), schema.maxInputs())
                        + " inputs at opset " + opset + ", got " + lastPresent);
            }
            for (int i = 0; i < schema.minInputs(); i++) {
                if (inputs.get(i) == null) {
                    throw new GraphException(where + ": required input " + i + " is missing");
                }
            }
            if (outputCount < schema.minOutputs() || outputCount > schema.maxOutputs()) {
                throw new GraphException(where + " has " + count(schema.minOutputs(), schema.maxOutputs())
                        + " outputs, asked for " + outputCount);
            }
            for (AttributeProto a : attributes.values()) {
                var expected = schema.attributes().get(a.getName());
                if (expected == null) {
                    throw new GraphException(where + " has no attribute '" + a.getName() + "' at opset " + opset
                            + "; it accepts " + schema.attributes().keySet());
                }
                if (expected != a.getType()) {
                    throw new GraphException(where + ": attribute '" + a.getName() + "' must be " + expected
                            + ", got " + a.getType());
                }
            }
            for (String req : schema.required()) {
                if (!attributes.containsKey(req)) {
                    throw new GraphException(where + " requires attribute '" + req + "'");
                }
            }
        }

        private String count(int lo, int hi) {
            return lo == hi ? Integer.toString(lo) : hi == OpSchema.VARIADIC ? lo + " or more" : lo + " to " + hi;
        }
    }

    /**
     * {@code reduceOp} (ReduceMean, ReduceMax) over the last axis, dimensions kept: the axes are an attribute before
     * opset 18 and an input from opset 18 on.
     */
    public Value reduceLastAxis(String reduceOp, Value x) {
        NodeBuilder b = op(reduceOp).attr("keepdims", 1L);
        return (opset >= 18 ? b.in(x, ints(-1)) : b.in(x).attr("axes", new long[] {-1})).out();
    }

    // ---- constants (small inline initializers) ----------------------------------------------------------

    /** A 1-D int64 constant. */
    public Value ints(long... values) {
        ByteBuffer b = ByteBuffer.allocate(values.length * 8).order(ByteOrder.LITTLE_ENDIAN);
        for (long v : values) {
            b.putLong(v);
        }
        return constant(DataType.INT64, new long[] {values.length}, b, "const_i64");
    }

    /** A scalar (rank 0) int64 constant. */
    public Value scalarInt(long value) {
        ByteBuffer b = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(value);
        return constant(DataType.INT64, new long[0], b, "const_i64");
    }

    /** A scalar floating constant of element type {@code type} (FLOAT, FLOAT16 or DOUBLE). */
    public Value scalar(double value, DataType type) {
        return floats(type, new long[0], value);
    }

    /** A floating constant of element type {@code type} and shape {@code dims}. */
    public Value floats(DataType type, long[] dims, double... values) {
        long numel = 1;
        for (long d : dims) {
            numel *= d;
        }
        if (numel != values.length) {
            throw new GraphException("constant of shape " + Arrays.toString(dims) + " needs " + numel
                    + " values, got " + values.length);
        }
        ByteBuffer b;
        switch (type) {
            case FLOAT -> {
                b = ByteBuffer.allocate(values.length * 4).order(ByteOrder.LITTLE_ENDIAN);
                for (double v : values) {
                    b.putFloat((float) v);
                }
            }
            case DOUBLE -> {
                b = ByteBuffer.allocate(values.length * 8).order(ByteOrder.LITTLE_ENDIAN);
                for (double v : values) {
                    b.putDouble(v);
                }
            }
            case FLOAT16 -> {
                b = ByteBuffer.allocate(values.length * 2).order(ByteOrder.LITTLE_ENDIAN);
                for (double v : values) {
                    b.putShort(HalfFloats.floatToFp16((float) v));
                }
            }
            default -> throw new GraphException("floating constant of type " + type + " is not supported");
        }
        return constant(type, dims, b, "const_" + ElemTypes.shortName(type));
    }

    private Value constant(DataType type, long[] dims, ByteBuffer bytes, String base) {
        bytes.flip();
        TensorProto.Builder t = TensorProto.newBuilder().setName(graph.uniqueName(base)).setDataType(type.getNumber())
                .setRawData(ByteString.copyFrom(bytes));
        for (long d : dims) {
            t.addDims(d);
        }
        return graph.addInitializer(t.build());
    }
}
