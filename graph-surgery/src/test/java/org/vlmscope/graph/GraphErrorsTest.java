package org.vlmscope.graph;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.vlmscope.graph.GraphAssertions.F32;
import static org.vlmscope.graph.GraphAssertions.assertGraphError;
import static org.vlmscope.graph.GraphAssertions.assertIndexesConsistent;
import static org.vlmscope.graph.GraphAssertions.node;

import ai.onnx.proto.OnnxMl.TensorProto;
import ai.onnx.proto.OnnxMl.TensorProto.DataType;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Misuse of the Graph API fails with a message naming the tensor, node or graph, and leaves the indexes intact. */
class GraphErrorsTest {
    private Graph g;
    private Value x;
    private Node relu;

    @BeforeEach
    void build() {
        g = new Graph("main");
        x = g.addInput("x", F32);
        relu = node(g, "Relu", List.of(x), "r");
        g.addOutput(node(g, "Neg", List.of(relu.output(0)), "y").output(0));
    }

    @Test
    void duplicateValueName() {
        assertGraphError(() -> g.newValue("r", null), "'r'", "main");
        assertGraphError(() -> g.addInput("x", F32), "'x'");
        assertIndexesConsistent(g);
    }

    @Test
    void duplicateNodeName() {
        Value v = g.newValue("v", null);
        g.addNode("Neg", "", "n1", List.of(x), List.of(v), Map.of());
        Value w = g.newValue("w", null);
        assertGraphError(() -> g.addNode("Neg", "", "n1", List.of(x), List.of(w), Map.of()), "'n1'");
        assertIndexesConsistent(g);
        assertEquals(1, x.consumers().stream().filter(n -> n.name().equals("n1")).count());
    }

    @Test
    void secondProducerForAValue() {
        Value r = relu.output(0);
        assertGraphError(() -> g.addNode("Neg", "", "writer", List.of(x), List.of(r), Map.of()),
                "'r'", "'writer'");
        assertSame(relu, r.producer());
        assertIndexesConsistent(g);
    }

    @Test
    void nodeCannotWriteAGraphInputOrInitializer() {
        assertGraphError(() -> g.addNode("Neg", "", "w1", List.of(), List.of(x), Map.of()), "'x'", "'w1'");
        Value c = g.addInitializer(TensorProto.newBuilder().setName("c").setDataType(DataType.FLOAT.getNumber())
                .build());
        assertGraphError(() -> g.addNode("Neg", "", "w2", List.of(), List.of(c), Map.of()), "'c'", "'w2'");
        assertIndexesConsistent(g);
    }

    @Test
    void secondInitializerOfTheSameName() {
        TensorProto t = TensorProto.newBuilder().setName("c").setDataType(DataType.FLOAT.getNumber()).build();
        g.addInitializer(t);
        assertGraphError(() -> g.addInitializer(t), "'c'");
        assertGraphError(() -> g.addInitializer(t.toBuilder().setName("r").build()), "'r'");
    }

    @Test
    void removingANodeWhoseOutputIsStillRead() {
        assertGraphError(() -> g.removeNode(relu), relu.name(), "'r'");
        assertIndexesConsistent(g);
    }

    @Test
    void removingANodeWhoseOutputIsAGraphOutput() {
        Node neg = g.require("y").producer();
        assertGraphError(() -> g.removeNode(neg), neg.name(), "'y'");
        assertIndexesConsistent(g);
    }

    @Test
    void removingANodeTwice() {
        Node dead = node(g, "Neg", List.of(x), "dead");
        g.removeNode(dead);
        assertGraphError(() -> g.removeNode(dead), dead.name(), "main");
        assertIndexesConsistent(g);
    }

    @Test
    void valuesFromAnotherGraph() {
        Graph other = new Graph("other");
        Value foreign = other.addInput("x", F32); // same name, different graph
        Value foreignOut = other.newValue("fo", null);

        assertGraphError(() -> g.addNode("Add", "", "a", List.of(x, foreign), List.of(g.newValue("s", null)),
                Map.of()), "'x'", "main");
        assertGraphError(() -> g.addNode("Neg", "", "b", List.of(x), List.of(foreignOut), Map.of()), "'fo'", "main");
        assertGraphError(() -> g.setInput(relu, 0, foreign), "'x'", "main");
        assertGraphError(() -> g.replaceUses(x, foreign, n -> true), "'x'", "main");
        assertGraphError(() -> g.replaceAllUses(x, foreign), "'x'", "main");
        assertGraphError(() -> g.addOutput(foreign), "'x'", "main");

        // A failed edit must not leave half of itself in the indexes.
        assertIndexesConsistent(g);
        assertEquals(List.of(relu), x.consumers());
        assertSame(x, relu.input(0));
        assertEquals(List.of("y"), GraphAssertions.names(g.outputs()));
    }

    @Test
    void setInputOnANodeNoLongerInTheGraph() {
        Node dead = node(g, "Neg", List.of(x), "dead");
        g.removeNode(dead);
        assertGraphError(() -> g.setInput(dead, 0, x), dead.name(), "main");
        assertIndexesConsistent(g);
    }

    @Test
    void outputBookkeeping() {
        Value y = g.require("y");
        assertGraphError(() -> g.addOutput(y), "'y'", "main");
        assertGraphError(() -> g.removeOutput(relu.output(0)), "'r'", "main");
    }

    @Test
    void requireNamesTheMissingTensor() {
        assertGraphError(() -> g.require("nope"), "'nope'", "main");
        assertNull(g.value("nope"));
    }

    @Test
    void cycleIsReported() {
        Value a = g.newValue("a", null);
        Value b = g.newValue("b", null);
        g.addNode("Neg", "", "first", List.of(b), List.of(a), Map.of());
        g.addNode("Neg", "", "second", List.of(a), List.of(b), Map.of());
        assertGraphError(() -> g.toposort(), "cycle", "main");
    }
}
