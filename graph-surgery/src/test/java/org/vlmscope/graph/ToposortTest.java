package org.vlmscope.graph;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.vlmscope.graph.GraphAssertions.F32;
import static org.vlmscope.graph.GraphAssertions.assertGraphError;
import static org.vlmscope.graph.GraphAssertions.assertIndexesConsistent;
import static org.vlmscope.graph.GraphAssertions.assertTopologicallySorted;
import static org.vlmscope.graph.GraphAssertions.names;

import ai.onnx.proto.OnnxMl.GraphProto;
import ai.onnx.proto.OnnxMl.NodeProto;
import ai.onnx.proto.OnnxMl.TensorProto.DataType;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

class ToposortTest {

    /** A small transformer-ish block: two residual branches, a shared input read many times. */
    private static Graph block() {
        Graph g = new Graph("block");
        Ops ops = new Ops(g, 17);
        Value x = g.addInput("x", F32);
        Value gamma = ops.floats(DataType.FLOAT, new long[] {3}, 1, 1, 1);
        Value norm = ops.op("LayerNormalization").in(x, gamma).out();
        Value q = ops.op("MatMul").in(norm, x).out();
        Value k = ops.op("MatMul").in(norm, x).out();
        Value scores = ops.op("MatMul").in(q, k).out();
        Value probs = ops.op("Softmax").in(scores).attr("axis", -1).out();
        Value attn = ops.op("MatMul").in(probs, norm).out();
        Value resid = ops.op("Add").in(x, attn).out();
        Value mlp = ops.op("Relu").in(ops.op("Mul").in(resid, resid).out()).out();
        g.addOutput(ops.op("Add").in(resid, mlp).out("y"));
        return g;
    }

    private static GraphProto withNodeOrder(GraphProto proto, List<NodeProto> order) {
        return proto.toBuilder().clearNode().addAllNode(order).build();
    }

    private static void assertSortsBackFrom(GraphProto proto, List<NodeProto> order) {
        Graph loaded = GraphProtos.read(withNodeOrder(proto, order));
        assertIndexesConsistent(loaded);
        loaded.toposort();
        assertTopologicallySorted(loaded);
        assertIndexesConsistent(loaded);
        assertEquals(proto.getNodeCount(), loaded.nodes().size());
    }

    @Test
    void reversedNodeOrder() {
        GraphProto proto = GraphProtos.write(block());
        List<NodeProto> reversed = new ArrayList<>(proto.getNodeList());
        Collections.reverse(reversed);
        assertSortsBackFrom(proto, reversed);
    }

    @Test
    void shuffledNodeOrders() {
        GraphProto proto = GraphProtos.write(block());
        for (long seed = 0; seed < 50; seed++) {
            List<NodeProto> shuffled = new ArrayList<>(proto.getNodeList());
            Collections.shuffle(shuffled, new Random(seed));
            assertSortsBackFrom(proto, shuffled);
        }
    }

    @Test
    void alreadySortedOrderIsKept() {
        Graph g = block();
        List<String> before = names(g.nodes());
        g.toposort();
        assertEquals(before, names(g.nodes()));
    }

    @Test
    void cycleIsReportedWithANodeName() {
        GraphProto proto = GraphProto.newBuilder().setName("loop")
                .addNode(NodeProto.newBuilder().setName("first").setOpType("Neg").addInput("b").addOutput("a"))
                .addNode(NodeProto.newBuilder().setName("second").setOpType("Neg").addInput("a").addOutput("b"))
                .build();
        Graph g = GraphProtos.read(proto);
        assertIndexesConsistent(g);
        GraphException e = assertGraphError(g::toposort, "cycle", "loop");
        assertTrue(e.getMessage().contains("'first'") || e.getMessage().contains("'second'"), e.getMessage());
    }

    @Test
    void selfLoopIsACycle() {
        Graph g = new Graph("self");
        Value a = g.newValue("a", null);
        g.addNode("Neg", "", "me", List.of(a), List.of(a), Map.of());
        assertGraphError(g::toposort, "cycle", "'me'");
    }

    /**
     * 200,000 nodes in a chain, stored in reverse order, plus a dead side branch every 10 nodes. A quadratic
     * toposort, cleanup or name generator takes minutes here.
     */
    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void longChainSortsAndCleansUpInLinearTime() {
        int length = 200_000;
        Graph g = new Graph("chain");
        Ops ops = new Ops(g, 17);
        Value v = g.addInput("x", F32);
        for (int i = 0; i < length; i++) {
            v = ops.op("Relu").in(v).out();
            if (i % 10 == 0) {
                ops.op("Neg").in(v).out();
            }
        }
        g.addOutput(v);

        GraphProto proto = GraphProtos.write(g);
        List<NodeProto> reversed = new ArrayList<>(proto.getNodeList());
        Collections.reverse(reversed);
        Graph loaded = GraphProtos.read(withNodeOrder(proto, reversed));
        loaded.toposort();
        loaded.cleanup();

        assertEquals(length, loaded.nodes().size());
        Node previous = null;
        for (Node n : loaded.nodes()) {
            assertEquals("Relu", n.opType());
            if (previous != null) {
                assertSame(previous, n.input(0).producer());
            }
            previous = n;
        }
        assertEquals(v.name(), loaded.outputs().get(0).name());
    }

    /** One tensor read by 200,000 dead nodes: cleanup must not pay per consumer for each removal. */
    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void wideFanOutCleansUpInLinearTime() {
        Graph g = new Graph("fan");
        Ops ops = new Ops(g, 17);
        Value x = g.addInput("x", F32);
        for (int i = 0; i < 200_000; i++) {
            ops.op("Neg").in(x).out();
        }
        g.addOutput(ops.op("Relu").in(x).out("y"));
        g.toposort();
        g.cleanup();
        assertEquals(1, g.nodes().size());
        assertEquals(1, x.consumers().size());
    }
}
