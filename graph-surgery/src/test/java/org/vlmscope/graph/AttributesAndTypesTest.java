package org.vlmscope.graph;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.vlmscope.graph.GraphAssertions.assertGraphError;

import ai.onnx.proto.OnnxMl.AttributeProto.AttributeType;
import ai.onnx.proto.OnnxMl.AttributeProto;
import ai.onnx.proto.OnnxMl.GraphProto;
import ai.onnx.proto.OnnxMl.NodeProto;
import ai.onnx.proto.OnnxMl.TensorProto.DataType;
import ai.onnx.proto.OnnxMl.TensorProto;
import ai.onnx.proto.OnnxMl.TypeProto;
import ai.onnx.proto.OnnxMl.ValueInfoProto;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** Attribute building, tensor types and the subgraph scan that finds a control-flow node's implicit inputs. */
class AttributesAndTypesTest {

    // ---- Attributes --------------------------------------------------------------------------------------

    @Test
    void scalarsAndStrings() {
        assertEquals(AttributeType.INT, Attributes.of("a", 3).getType());
        assertEquals(3, Attributes.of("a", 3L).getI());
        AttributeProto f = Attributes.of("eps", 1e-5);
        assertEquals(AttributeType.FLOAT, f.getType());
        assertEquals(1e-5f, f.getF());
        AttributeProto s = Attributes.of("mode", "constant");
        assertEquals(AttributeType.STRING, s.getType());
        assertEquals("constant", s.getS().toStringUtf8());
        assertEquals("mode", s.getName());
    }

    @Test
    void lists() {
        assertEquals(List.of(1L, -2L), Attributes.of("perm", new long[] {1, -2}).getIntsList());
        assertEquals(List.of(1L, -2L), Attributes.of("perm", new int[] {1, -2}).getIntsList());
        assertEquals(List.of(0L, 2L), Attributes.of("perm", List.of(0, 2L)).getIntsList());
        AttributeProto floats = Attributes.of("scales", new float[] {0.5f, 2f});
        assertEquals(AttributeType.FLOATS, floats.getType());
        assertEquals(List.of(0.5f, 2f), floats.getFloatsList());
    }

    @Test
    void listOfFloatingNumbersIsNotTruncatedToInts() {
        AttributeProto a = Attributes.of("scales", List.of(0.5, 2.0));
        assertEquals(AttributeType.FLOATS, a.getType());
        assertEquals(List.of(0.5f, 2f), a.getFloatsList());
    }

    @Test
    void tensorAttribute() {
        TensorProto t = TensorProto.newBuilder().setDataType(DataType.FLOAT.getNumber()).addFloatData(0).build();
        AttributeProto a = Attributes.of("value", t);
        assertEquals(AttributeType.TENSOR, a.getType());
        assertEquals(t, a.getT());
    }

    @Test
    void unsupportedValues() {
        assertGraphError(() -> Attributes.of("flag", true), "'flag'", "Boolean");
        assertGraphError(() -> Attributes.of("nothing", null), "'nothing'", "null");
        assertGraphError(() -> Attributes.of("mixed", List.of(1, "a")), "'mixed'");
    }

    // ---- TensorType --------------------------------------------------------------------------------------

    @Test
    void typeProtoRoundTrip() {
        TensorType t = TensorType.of(DataType.FLOAT16, "batch", 3, TensorType.Dim.unknown());
        assertEquals(3, t.rank());
        assertEquals(t, TensorType.fromProto(t.toProto()));
        assertEquals("float16[batch,3,?]", t.toString());
        assertTrue(t.shape().get(1).isFixed());
        assertFalse(t.shape().get(0).isFixed());

        TensorType unranked = new TensorType(DataType.INT64, null);
        assertEquals(-1, unranked.rank());
        assertEquals(unranked, TensorType.fromProto(unranked.toProto()));
        TensorType scalar = TensorType.of(DataType.INT64);
        assertEquals(0, scalar.rank());
        assertEquals(scalar, TensorType.fromProto(scalar.toProto()));

        assertNull(TensorType.fromProto(TypeProto.getDefaultInstance()), "non-tensor types have no TensorType");
        assertThrows(IllegalArgumentException.class, () -> TensorType.of(DataType.FLOAT, true));
    }

    // ---- SubgraphScan ------------------------------------------------------------------------------------

    private static NodeProto.Builder op(String type, List<String> inputs, String... outputs) {
        return NodeProto.newBuilder().setOpType(type).addAllInput(inputs).addAllOutput(List.of(outputs));
    }

    private static AttributeProto body(String name, GraphProto g) {
        return AttributeProto.newBuilder().setName(name).setType(AttributeType.GRAPH).setG(g).build();
    }

    @Test
    void outerReferencesSkipLocalNamesAndRecurse() {
        // Loop body: inputs (iter, cond, carried), an initializer, a nested If reading an outer and a local name.
        GraphProto thenBranch = GraphProto.newBuilder().setName("then")
                .addNode(op("Add", List.of("local", "outer_deep"), "t"))
                .addOutput(ValueInfoProto.newBuilder().setName("t")).build();
        GraphProto elseBranch = GraphProto.newBuilder().setName("else")
                .addOutput(ValueInfoProto.newBuilder().setName("outer_passthrough")).build();
        GraphProto loopBody = GraphProto.newBuilder().setName("body")
                .addInput(ValueInfoProto.newBuilder().setName("iter"))
                .addInput(ValueInfoProto.newBuilder().setName("cond_in"))
                .addInput(ValueInfoProto.newBuilder().setName("carried"))
                .addInitializer(TensorProto.newBuilder().setName("one"))
                .addNode(op("Add", List.of("carried", "one"), "local"))
                .addNode(op("Mul", List.of("local", "outer_a", ""), "prod"))
                .addNode(op("If", List.of("cond_in"), "branch_out")
                        .addAttribute(body("then_branch", thenBranch))
                        .addAttribute(body("else_branch", elseBranch)))
                .addOutput(ValueInfoProto.newBuilder().setName("cond_in"))
                .addOutput(ValueInfoProto.newBuilder().setName("prod"))
                .build();
        NodeProto loop = op("Loop", List.of("trip", "cond", "init"), "final")
                .addAttribute(body("body", loopBody)).build();

        assertEquals(Set.of("outer_a", "outer_deep", "outer_passthrough"), SubgraphScan.outerReferences(loop));
    }

    @Test
    void nodesWithoutSubgraphsHaveNoOuterReferences() {
        NodeProto add = op("Add", List.of("a", "b"), "c").addAttribute(Attributes.of("x", 1)).build();
        assertTrue(SubgraphScan.outerReferences(add).isEmpty());
    }
}
