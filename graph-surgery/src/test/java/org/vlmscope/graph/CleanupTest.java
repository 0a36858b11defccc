package org.vlmscope.graph;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.vlmscope.graph.GraphAssertions.F32;
import static org.vlmscope.graph.GraphAssertions.assertIndexesConsistent;
import static org.vlmscope.graph.GraphAssertions.assertNoStrayValues;
import static org.vlmscope.graph.GraphAssertions.names;
import static org.vlmscope.graph.GraphAssertions.node;

import ai.onnx.proto.OnnxMl.AttributeProto;
import ai.onnx.proto.OnnxMl.AttributeProto.AttributeType;
import ai.onnx.proto.OnnxMl.GraphProto;
import ai.onnx.proto.OnnxMl.NodeProto;
import ai.onnx.proto.OnnxMl.TensorProto.DataType;
import ai.onnx.proto.OnnxMl.ValueInfoProto;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;

class CleanupTest {

    private static Set<String> nodeNames(Graph g) {
        return new TreeSet<>(names(g.nodes()));
    }

    private static void cleanupAndCheck(Graph g) {
        g.cleanup();
        assertIndexesConsistent(g);
        assertNoStrayValues(g);
    }

    @Test
    void removesDeadBranchesUnusedInitializersAndInputs() {
        Graph g = new Graph("g");
        Ops ops = new Ops(g, 17);
        Value x = g.addInput("x", F32);
        Value unusedInput = g.addInput("attention_mask", F32);
        Value usedWeight = ops.floats(DataType.FLOAT, new long[] {1}, 2);
        Value deadWeight = ops.floats(DataType.FLOAT, new long[] {1}, 3);
        Value orphanWeight = ops.floats(DataType.FLOAT, new long[] {1}, 4);

        Value scaled = ops.op("Mul").in(x, usedWeight).name("scale").out();
        ops.op("Relu").in(ops.op("Mul").in(scaled, deadWeight).name("dead_mul").out()).name("dead_relu").out();
        ops.op("Neg").in(unusedInput).name("dead_neg").out();
        g.addOutput(ops.op("Relu").in(scaled).name("act").out("y"));

        cleanupAndCheck(g);

        assertEquals(Set.of("act", "scale"), nodeNames(g));
        assertEquals(List.of("x"), names(g.inputs()));
        assertEquals(List.of(usedWeight.name()), names(g.initializers()));
        for (Value gone : List.of(unusedInput, deadWeight, orphanWeight)) {
            assertNull(g.value(gone.name()), "'" + gone.name() + "' should be gone from the value table");
        }
        // A removed name can be used again.
        g.newValue(deadWeight.name(), null);
    }

    @Test
    void keepsEverythingAnOutputDependsOn() {
        Graph g = new Graph("g");
        Ops ops = new Ops(g, 17);
        Value x = g.addInput("x", F32);
        Value passthrough = g.addInput("p", F32);
        Value constOut = ops.scalar(1, DataType.FLOAT);
        List<Value> topk = ops.op("TopK").in(x, ops.ints(1)).outs(2);  // only values are read
        Value a = ops.op("Neg").in(topk.get(0)).out();
        Value b = ops.op("Add").in(a, topk.get(0)).out();
        g.addOutput(b);
        g.addOutput(passthrough);
        g.addOutput(constOut);
        int nodes = g.nodes().size();

        cleanupAndCheck(g);

        assertEquals(nodes, g.nodes().size());
        assertSame(topk.get(0).producer(), topk.get(1).producer(), "the unused second output stays with its node");
        assertNotNull(g.value(topk.get(1).name()));
        assertEquals(List.of("x", "p"), names(g.inputs()));
        assertTrue(g.initializers().contains(constOut));
    }

    @Test
    void cleanupIsIdempotent() {
        Graph g = new Graph("g");
        Value x = g.addInput("x", F32);
        g.addOutput(node(g, "Neg", List.of(x), "y").output(0));
        node(g, "Neg", List.of(x), "dead");
        g.cleanup();
        GraphProto once = GraphProtos.write(g);
        g.cleanup();
        assertEquals(once, GraphProtos.write(g));
    }

    // ---- values read only inside a subgraph attribute ---------------------------------------------------

    private static GraphProto branch(String name, String outerTensor) {
        return GraphProto.newBuilder().setName(name)
                .addNode(NodeProto.newBuilder().setOpType("Identity").addInput(outerTensor).addOutput(name + "_out"))
                .addOutput(ValueInfoProto.newBuilder().setName(name + "_out"))
                .build();
    }

    private static AttributeProto graphAttr(String name, GraphProto body) {
        return AttributeProto.newBuilder().setName(name).setType(AttributeType.GRAPH).setG(body).build();
    }

    /**
     * x ─Neg─> outer_then   (read only inside then_branch)
     * x ─Exp─> outer_else   (read only inside else_branch)
     * cond, If(then: Identity(outer_then), else: Identity(outer_else)) ─> y
     */
    @Test
    void tensorReadOnlyInsideIfBranchesSurvivesWhenLoadedFromProto() {
        GraphProto proto = GraphProto.newBuilder().setName("g")
                .addInput(ValueInfoProto.newBuilder().setName("x").setType(F32.toProto()))
                .addInput(ValueInfoProto.newBuilder().setName("cond"))
                // The If comes first: its implicit inputs are defined later in the file.
                .addNode(NodeProto.newBuilder().setName("if").setOpType("If").addInput("cond").addOutput("y")
                        .addAttribute(graphAttr("then_branch", branch("then", "outer_then")))
                        .addAttribute(graphAttr("else_branch", branch("else", "outer_else"))))
                .addNode(NodeProto.newBuilder().setName("neg").setOpType("Neg").addInput("x").addOutput("outer_then"))
                .addNode(NodeProto.newBuilder().setName("exp").setOpType("Exp").addInput("x").addOutput("outer_else"))
                .addNode(NodeProto.newBuilder().setName("dead").setOpType("Sin").addInput("x").addOutput("z"))
                .addOutput(ValueInfoProto.newBuilder().setName("y"))
                .build();
        Graph g = GraphProtos.read(proto);
        assertIndexesConsistent(g);
        Node ifNode = g.require("y").producer();
        assertEquals(List.of("outer_then", "outer_else"), names(ifNode.implicitInputs()));

        cleanupAndCheck(g);
        assertEquals(Set.of("if", "neg", "exp"), nodeNames(g));

        g.toposort();
        GraphAssertions.assertTopologicallySorted(g);
        assertEquals("if", names(g.nodes()).get(2));
        assertEquals(proto.getNode(0).getAttributeList(), GraphProtos.write(g).getNode(2).getAttributeList());
    }

    @Test
    void tensorReadOnlyInsideIfBranchSurvivesWhenBuiltInMemory() {
        Graph g = new Graph("g");
        Value x = g.addInput("x", F32);
        g.addInput("w", F32);
        Value cond = g.addInput("cond", null);
        Value outer = node(g, "Neg", List.of(x), "outer_then").output(0);
        node(g, "Exp", List.of(x), "dead_exp");
        Node ifNode = node(g, "If", List.of(cond), Map.of(
                "then_branch", graphAttr("then_branch", branch("then", "outer_then")),
                "else_branch", graphAttr("else_branch", branch("else", "w"))), "y");
        g.addOutput(ifNode.output(0));
        assertIndexesConsistent(g);
        assertEquals(List.of(ifNode), outer.consumers());

        cleanupAndCheck(g);
        assertSame(outer, g.value("outer_then"));
        assertNotNull(outer.producer());
        assertEquals(Set.of(ifNode.name(), outer.producer().name()), nodeNames(g));
        assertEquals(List.of("x", "w", "cond"), names(g.inputs()), "w is read only inside else_branch");
    }

    @Test
    void subgraphReferenceToAMissingTensorIsAnError() {
        Graph g = new Graph("g");
        Value cond = g.addInput("cond", null);
        GraphAssertions.assertGraphError(() -> node(g, "If", List.of(cond), Map.of(
                "then_branch", graphAttr("then_branch", branch("then", "nowhere")),
                "else_branch", graphAttr("else_branch", branch("else", "cond"))), "y"), "'nowhere'");
        assertIndexesConsistent(g);
        assertEquals(List.of(), cond.consumers());
    }

    @Test
    void aNodeWhoseOutputIsReadInsideASubgraphCannotBeRemoved() {
        Graph g = new Graph("g");
        Value x = g.addInput("x", F32);
        Value cond = g.addInput("cond", null);
        Node neg = node(g, "Neg", List.of(x), "outer_then");
        node(g, "If", List.of(cond), Map.of(
                "then_branch", graphAttr("then_branch", branch("then", "outer_then")),
                "else_branch", graphAttr("else_branch", branch("else", "outer_then"))), "y");
        GraphAssertions.assertGraphError(() -> g.removeNode(neg), neg.name(), "'outer_then'");
    }
}
