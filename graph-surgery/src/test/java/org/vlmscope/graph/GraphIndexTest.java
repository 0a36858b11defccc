package org.vlmscope.graph;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.vlmscope.graph.GraphAssertions.F32;
import static org.vlmscope.graph.GraphAssertions.assertIndexesConsistent;
import static org.vlmscope.graph.GraphAssertions.assertTopologicallySorted;
import static org.vlmscope.graph.GraphAssertions.ins;
import static org.vlmscope.graph.GraphAssertions.names;
import static org.vlmscope.graph.GraphAssertions.node;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The producer/consumer indexes stay equal to a from-scratch recomputation after every kind of edit. */
class GraphIndexTest {
    private Graph g;
    private Value x;
    private Value w;
    private Node square;
    private Node add;
    private Node relu;

    /**
     * x ──Mul(x,x)──> sq ──Add(sq,w)──> sum ──Relu──> y (output)
     * w is an initializer-free second input.
     */
    @BeforeEach
    void build() {
        g = new Graph("g");
        x = g.addInput("x", F32);
        w = g.addInput("w", F32);
        square = node(g, "Mul", List.of(x, x), "sq");
        add = node(g, "Add", List.of(g.require("sq"), w), "sum");
        relu = node(g, "Relu", List.of(g.require("sum")), "y");
        g.addOutput(g.require("y"));
        assertIndexesConsistent(g);
    }

    @Test
    void nodeReadingAValueTwiceIsListedTwice() {
        assertEquals(List.of(square, square), x.consumers());
        assertSame(square, g.require("sq").producer());
        assertNull(x.producer());
    }

    @Test
    void addNode() {
        Node extra = node(g, "Sub", List.of(x, g.require("sq")), "diff");
        assertIndexesConsistent(g);
        assertEquals(List.of(square, square, extra), x.consumers());
        assertSame(extra, g.require("diff").producer());
    }

    @Test
    void addNodeWithOmittedOptionalInput() {
        Node clip = node(g, "Clip", ins(x, null, w), "clipped");
        assertIndexesConsistent(g);
        assertNull(clip.input(1));
        assertEquals(3, clip.inputs().size());
    }

    @Test
    void removeNodeUnlinksItsInputsAndDropsItsOutputs() {
        Node extra = node(g, "Mul", List.of(x, x), "x2");
        g.removeNode(extra);
        assertIndexesConsistent(g);
        assertEquals(List.of(square, square), x.consumers());
        assertNull(g.value("x2"));
        assertFalse(g.nodes().contains(extra));
    }

    @Test
    void removeNodesBottomUp() {
        g.removeOutput(g.require("y"));
        g.removeNode(relu);
        g.removeNode(add);
        g.removeNode(square);
        assertIndexesConsistent(g);
        assertTrue(g.nodes().isEmpty());
        assertTrue(x.consumers().isEmpty());
        assertTrue(w.consumers().isEmpty());
    }

    @Test
    void setInputMovesOneUse() {
        g.setInput(square, 1, w);
        assertIndexesConsistent(g);
        assertEquals(List.of(square), x.consumers());
        assertEquals(List.of(add, square), w.consumers());
    }

    @Test
    void setInputToNullAndBack() {
        g.setInput(add, 1, null);
        assertIndexesConsistent(g);
        assertTrue(w.consumers().isEmpty());
        g.setInput(add, 1, w);
        assertIndexesConsistent(g);
        assertEquals(List.of(add), w.consumers());
    }

    @Test
    void replaceAllUsesRewiresNodesAndGraphOutputs() {
        Value y = g.require("y");
        Node scale = node(g, "Mul", List.of(y, w), "y_scaled");
        Node extra = node(g, "Neg", List.of(y), "neg");
        Value replacement = node(g, "Identity", List.of(x), "y_new").output(0);
        g.replaceAllUses(y, replacement);
        assertIndexesConsistent(g);
        assertTrue(y.consumers().isEmpty());
        assertEquals(List.of(scale, extra), replacement.consumers());
        assertEquals(List.of("y_new"), names(g.outputs()));
    }

    @Test
    void replaceUsesOfADoublyReadValue() {
        Value v = node(g, "Identity", List.of(w), "w_copy").output(0);
        g.replaceUses(x, v, n -> true);
        assertIndexesConsistent(g);
        assertTrue(x.consumers().isEmpty());
        assertEquals(List.of(square, square), v.consumers());
        assertSame(v, square.input(0));
        assertSame(v, square.input(1));
    }

    @Test
    void replaceUsesWithPredicateLeavesOtherReadersAndGraphOutputsAlone() {
        Value sum = g.require("sum");
        Node other = node(g, "Neg", List.of(sum), "neg");
        g.addOutput(sum);
        // The patch pattern: h' = f(h), then every reader except f reads h'.
        Node patch = node(g, "Identity", List.of(sum), "sum_patched");
        g.replaceUses(sum, patch.output(0), n -> n != patch && n != other);
        assertIndexesConsistent(g);
        assertEquals(List.of(other, patch), sum.consumers());
        assertEquals(List.of(relu), patch.output(0).consumers());
        assertTrue(g.isGraphOutput(sum), "replaceUses must not touch graph outputs");
        g.toposort();
        assertTopologicallySorted(g);
    }

    @Test
    void addAndRemoveOutputs() {
        Value sq = g.require("sq");
        g.addOutput(sq);
        g.addOutput(x);
        assertEquals(List.of("y", "sq", "x"), names(g.outputs()));
        assertIndexesConsistent(g);
        g.removeOutput(sq);
        assertEquals(List.of("y", "x"), names(g.outputs()));
        assertIndexesConsistent(g);
    }

    @Test
    void cleanupKeepsIndexesConsistent() {
        node(g, "Neg", List.of(x), "dead1");
        node(g, "Neg", List.of(g.require("dead1")), "dead2");
        node(g, "Mul", List.of(w, w), "dead3");
        g.cleanup();
        assertIndexesConsistent(g);
        assertEquals(List.of(square, square), x.consumers());
        assertEquals(List.of(add), w.consumers());
    }

    @Test
    void toposortKeepsIndexesConsistent() {
        g.toposort();
        assertIndexesConsistent(g);
        assertEquals(List.of(square, add, relu), new ArrayList<>(g.nodes()));
    }

    /**
     * Random edits on a random DAG, checking the indexes after each one. Every node reads only older values,
     * and replacements are always older than the value they replace, so the graph stays acyclic.
     */
    @Test
    void randomEditSequences() {
        for (long seed = 0; seed < 20; seed++) {
            randomEdits(new Random(seed));
        }
    }

    private void randomEdits(Random rnd) {
        Graph rg = new Graph("random");
        List<Value> byAge = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            byAge.add(rg.addInput("in" + i, F32));
        }
        for (int step = 0; step < 300; step++) {
            List<Node> nodes = new ArrayList<>(rg.nodes());
            int kind = rnd.nextInt(7);
            if (kind <= 1 || nodes.isEmpty()) {
                List<Value> inputs = new ArrayList<>();
                for (int k = rnd.nextInt(3) + 1; k > 0; k--) {
                    inputs.add(rnd.nextInt(8) == 0 ? null : byAge.get(rnd.nextInt(byAge.size())));
                }
                Node n = rg.addNode("Op", "", null, inputs, List.of(rg.freshValue("v")), Map.of());
                byAge.add(n.output(0));
            } else if (kind == 2) {
                Node n = nodes.get(rnd.nextInt(nodes.size()));
                int age = byAge.indexOf(n.output(0));
                if (age > 0) {
                    int slot = rnd.nextInt(n.inputs().size());
                    rg.setInput(n, slot, rnd.nextInt(6) == 0 ? null : byAge.get(rnd.nextInt(age)));
                }
            } else if (kind == 3 && byAge.size() >= 2) {
                int oldIndex = rnd.nextInt(byAge.size() - 1) + 1;
                Value old = byAge.get(oldIndex);
                Value replacement = byAge.get(rnd.nextInt(oldIndex));
                if (rnd.nextBoolean()) {
                    rg.replaceUses(old, replacement, n -> rnd.nextBoolean());
                } else {
                    rg.replaceAllUses(old, replacement);
                }
            } else if (kind == 4) {
                Value v = byAge.get(rnd.nextInt(byAge.size()));
                if (rg.isGraphOutput(v)) {
                    rg.removeOutput(v);
                } else {
                    rg.addOutput(v);
                }
            } else if (kind == 5) {
                Node n = nodes.get(rnd.nextInt(nodes.size()));
                if (n.outputs().stream().allMatch(o -> o.consumers().isEmpty() && !rg.isGraphOutput(o))) {
                    rg.removeNode(n);
                    byAge.removeAll(n.outputs());
                }
            } else if (kind == 6) {
                rg.cleanup();
                byAge.removeIf(v -> rg.value(v.name()) != v);
                if (byAge.isEmpty()) {
                    byAge.add(rg.addInput(rg.uniqueName("in"), F32));
                }
            }
            assertIndexesConsistent(rg);
        }
        rg.toposort();
        assertTopologicallySorted(rg);
        assertIndexesConsistent(rg);
    }
}
