package org.vlmscope.graph;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.vlmscope.graph.GraphAssertions.F32;
import static org.vlmscope.graph.GraphAssertions.assertGraphError;
import static org.vlmscope.graph.GraphAssertions.assertIndexesConsistent;

import ai.onnx.proto.OnnxMl.AttributeProto.AttributeType;
import ai.onnx.proto.OnnxMl.TensorProto.DataType;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The op builder checks each node against the schema in force at the model's opset. */
class OpsBuilderTest {
    private Graph g;
    private Value x;
    private Value y;

    private Ops at(long opset) {
        g = new Graph("g");
        x = g.addInput("x", F32);
        y = g.addInput("y", F32);
        return new Ops(g, opset);
    }

    @Test
    void buildsAValidNodeWithAttributes() {
        Ops ops = at(17);
        Value s = ops.op("Softmax").in(x).attr("axis", -1).name("attn_softmax").out("probs");
        Node n = s.producer();
        assertEquals("attn_softmax", n.name());
        assertEquals("Softmax", n.opType());
        assertEquals("", n.domain());
        assertEquals(-1, n.intAttribute("axis", 0));
        assertEquals(AttributeType.INT, n.attribute("axis").getType());
        assertEquals(List.of(n), x.consumers());
        assertIndexesConsistent(g);
    }

    @Test
    void freshOutputAndNodeNamesAreUnique() {
        Ops ops = at(17);
        Value a = ops.op("Relu").in(x).out();
        Value b = ops.op("Relu").in(x).out();
        assertNotEquals(a.name(), b.name());
        assertNotEquals(a.producer().name(), b.producer().name());
        assertIndexesConsistent(g);
    }

    @Test
    void unknownOp() {
        Ops ops = at(17);
        assertGraphError(() -> ops.op("Frobnicate").in(x).out(), "Frobnicate");
    }

    @Test
    void wrongInputCount() {
        Ops ops = at(17);
        assertGraphError(() -> ops.op("Add").in(x).name("bad_add").out(), "Add", "'bad_add'", "2", "got 1");
        assertGraphError(() -> ops.op("Relu").in(x, y).out(), "Relu", "1", "got 2");
        assertGraphError(() -> ops.op("Slice").in(x, y).out(), "Slice", "3 to 5");
        assertGraphError(() -> ops.op("Concat").attr("axis", 0).out(), "Concat", "1 or more", "got 0");
    }

    @Test
    void omittedOptionalInputs() {
        Ops ops = at(17);
        Node trailing = ops.op("Clip").in(x, null, null).out().producer();
        assertEquals(1, trailing.inputs().size(), "trailing omitted inputs are dropped");
        Node middle = ops.op("Clip").in(x, null, y).out().producer();
        assertEquals(3, middle.inputs().size());
        assertNull(middle.input(1));
        assertIndexesConsistent(g);
        assertGraphError(() -> ops.op("Gemm").in(x, null, y).out(), "Gemm", "input 1");
    }

    @Test
    void wrongOutputCount() {
        Ops ops = at(17);
        assertGraphError(() -> ops.op("TopK").in(x, ops.ints(2)).outs(1), "TopK", "2", "asked for 1");
        assertEquals(2, ops.op("TopK").in(x, ops.ints(2)).outs(2).size());
        assertEquals(3, ops.op("Split").in(x).attr("axis", 0).outs(3).size());
        assertIndexesConsistent(g);
    }

    @Test
    void unknownAttribute() {
        Ops ops = at(17);
        assertGraphError(() -> ops.op("Relu").in(x).attr("alpha", 0.1f).name("act").out(),
                "Relu", "'act'", "'alpha'");
    }

    @Test
    void wrongAttributeType() {
        Ops ops = at(17);
        assertGraphError(() -> ops.op("Softmax").in(x).attr("axis", 1.5f).out(), "Softmax", "'axis'", "INT", "FLOAT");
        assertGraphError(() -> ops.op("Gemm").in(x, y).attr("alpha", 1).out(), "Gemm", "'alpha'", "FLOAT", "INT");
        assertGraphError(() -> ops.op("Transpose").in(x).attr("perm", 1).out(), "Transpose", "'perm'", "INTS");
    }

    @Test
    void missingRequiredAttribute() {
        Ops ops = at(17);
        assertGraphError(() -> ops.op("Cast").in(x).name("to_half").out(), "Cast", "'to_half'", "'to'");
        assertGraphError(() -> ops.op("Concat").in(x, y).out(), "Concat", "'axis'");
        assertDoesNotThrow(() -> ops.op("Cast").in(x).attr("to", DataType.FLOAT16.getNumber()).out());
    }

    @Test
    void opNewerThanTheModel() {
        assertGraphError(() -> at(16).op("LayerNormalization").in(x, y).out(), "LayerNormalization", "17", "16");
        assertGraphError(() -> at(14).op("CastLike").in(x, y).out(), "CastLike", "15", "14");
        assertDoesNotThrow(() -> at(17).op("LayerNormalization").in(x, y).attr("epsilon", 1e-5f).out());
    }

    @Test
    void reduceMeanAxesMovedFromAttributeToInputAtOpset18() {
        Ops v17 = at(17);
        assertDoesNotThrow(() -> v17.op("ReduceMean").in(x).attr("axes", new long[] {-1}).out());
        assertGraphError(() -> v17.op("ReduceMean").in(x, v17.ints(-1)).out(), "ReduceMean", "opset 17", "got 2");

        Ops v18 = at(18);
        assertDoesNotThrow(() -> v18.op("ReduceMean").in(x, v18.ints(-1)).attr("keepdims", 1).out());
        assertGraphError(() -> v18.op("ReduceMean").in(x).attr("axes", new long[] {-1}).out(),
                "ReduceMean", "'axes'", "opset 18");
    }

    @Test
    void unsqueezeAxesMovedFromAttributeToInputAtOpset13() {
        Ops v11 = at(11);
        assertDoesNotThrow(() -> v11.op("Unsqueeze").in(x).attr("axes", new long[] {0}).out());
        assertGraphError(() -> v11.op("Unsqueeze").in(x).out(), "Unsqueeze", "'axes'");
        assertGraphError(() -> v11.op("Unsqueeze").in(x, v11.ints(0)).out(), "Unsqueeze", "opset 11", "got 2");

        Ops v13 = at(13);
        assertDoesNotThrow(() -> v13.op("Unsqueeze").in(x, v13.ints(0)).out());
        assertGraphError(() -> v13.op("Unsqueeze").in(x, v13.ints(0)).attr("axes", new long[] {0}).out(),
                "Unsqueeze", "'axes'", "opset 13");
        assertGraphError(() -> v13.op("Unsqueeze").in(x).out(), "Unsqueeze", "got 1");
    }

    @Test
    void otherVersionedSignatures() {
        assertGraphError(() -> at(12).op("ReduceSum").in(x, y).out(), "ReduceSum", "got 2");
        assertDoesNotThrow(() -> at(13).op("ReduceSum").in(x, y).out());
        assertGraphError(() -> at(18).op("Cast").in(x).attr("to", 1).attr("saturate", 0).out(), "'saturate'");
        assertDoesNotThrow(() -> at(19).op("Cast").in(x).attr("to", 1).attr("saturate", 0).out());
        assertGraphError(() -> at(17).op("Split").in(x).attr("num_outputs", 2).outs(2), "'num_outputs'");
        assertDoesNotThrow(() -> at(18).op("Split").in(x).attr("num_outputs", 2).outs(2));
        // allowzero appeared in Reshape-14.
        assertGraphError(() -> at(13).op("Reshape").in(x, y).attr("allowzero", 1).out(), "Reshape", "'allowzero'");
        assertDoesNotThrow(() -> at(14).op("Reshape").in(x, y).attr("allowzero", 1).out());
    }

    @ParameterizedTest
    @ValueSource(longs = {17, 18, 19, 21})
    void schemaLookupPicksTheNewestVersionNotAfterTheOpset(long opset) {
        OpSchema s = OpSchemas.lookup("ReduceMean", opset);
        assertEquals(opset >= 18 ? 18 : 1, s.sinceVersion());
        assertEquals(opset >= 18 ? Set.of("keepdims", "noop_with_empty_axes") : Set.of("axes", "keepdims"),
                s.attributes().keySet());
    }

    /** A build that fails leaves nothing behind: the exact output name can be used by the corrected retry. */
    @Test
    void failedBuildLeavesNoValueBehind() {
        Ops ops = at(17);
        int before = g.values().size();
        assertGraphError(() -> ops.op("Cast").in(x).out("blocks.0.hook_resid_pre"), "Cast");
        assertGraphError(() -> ops.op("Nope").in(x).out(), "Nope");
        assertGraphError(() -> ops.op("TopK").in(x, y).outs(3), "TopK");
        assertEquals(before, g.values().size(), "failed builds left values " + g.values());
        Value hook = ops.op("Cast").in(x).attr("to", 1).out("blocks.0.hook_resid_pre");
        assertEquals("blocks.0.hook_resid_pre", hook.name());
        assertIndexesConsistent(g);
    }

    @Test
    void failedBuildWithDuplicateNodeNameLeavesNoValueBehind() {
        Ops ops = at(17);
        ops.op("Relu").in(x).name("act").out("a1");
        assertGraphError(() -> ops.op("Relu").in(x).name("act").out("a2"), "'act'");
        assertNull(g.value("a2"));
        assertSame(x, g.value("x"));
        assertIndexesConsistent(g);
    }

    @Test
    void inputsFromAnotherGraphAreRejected() {
        Ops ops = at(17);
        Value foreign = new Graph("other").addInput("z", F32);
        assertGraphError(() -> ops.op("Add").in(x, foreign).out(), "'z'");
        assertTrue(x.consumers().isEmpty());
        assertIndexesConsistent(g);
    }
}
