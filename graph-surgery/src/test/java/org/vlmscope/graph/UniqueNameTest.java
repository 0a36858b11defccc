package org.vlmscope.graph;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.vlmscope.graph.GraphAssertions.F32;
import static org.vlmscope.graph.GraphAssertions.assertIndexesConsistent;

import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** uniqueName hands out names that collide neither with each other nor with existing value or node names. */
class UniqueNameTest {

    private static Set<String> allNames(Graph g) {
        Set<String> names = new HashSet<>();
        g.values().forEach(v -> names.add(v.name()));
        g.nodes().forEach(n -> names.add(n.name()));
        return names;
    }

    @Test
    void freeBaseIsReturnedAsIs() {
        Graph g = new Graph("g");
        assertEquals("relu", g.uniqueName("relu"));
        assertEquals("relu", g.uniqueName("relu"), "asking does not reserve the name");
    }

    @Test
    void manyRequestsAvoidExistingValueAndNodeNames() {
        Graph g = new Graph("g");
        Value x = g.addInput("x", F32);
        for (String taken : List.of("relu", "relu_1", "relu_3", "relu_1000")) {
            g.newValue(taken, null);
        }
        for (String taken : List.of("relu_2", "relu_5")) { // node names only
            g.addNode("Relu", "", taken, List.of(x), List.of(g.newValue(taken + "_out", null)), Map.of());
        }
        Set<String> before = allNames(g);
        Set<String> handedOut = new HashSet<>();
        for (int i = 0; i < 2000; i++) {
            String name = g.uniqueName("relu");
            assertFalse(before.contains(name), name + " collides with an existing name");
            assertTrue(handedOut.add(name), name + " was handed out twice");
            // Alternate between using the name for a value and for a node.
            if (i % 2 == 0) {
                g.newValue(name, null);
            } else {
                g.addNode("Relu", "", name, List.of(x), List.of(g.freshValue("out")), Map.of());
            }
        }
        assertTrue(handedOut.stream().allMatch(n -> n.startsWith("relu_")));
        assertIndexesConsistent(g);
    }

    @Test
    void namesThatLookLikeGeneratedOnesAreRespected() {
        Graph g = new Graph("g");
        g.newValue("a", null);
        assertEquals("a_1", g.uniqueName("a"));
        g.newValue("a_1", null);
        g.newValue("a_2", null); // someone used the next suffix explicitly
        assertEquals("a_3", g.uniqueName("a"));
        g.newValue("a_3", null);
        assertEquals("a_1_1", g.uniqueName("a_1"));
    }

    @Test
    void generatedNodeNamesAvoidValueNamesAndViceVersa() {
        Graph g = new Graph("g");
        Value x = g.addInput("Relu", F32); // a tensor named like the op
        Node n = g.addNode("Relu", "", null, List.of(x), List.of(g.freshValue("Relu")), Map.of());
        Set<String> names = new HashSet<>(List.of(x.name(), n.name(), n.output(0).name()));
        assertEquals(3, names.size(), names.toString());
    }

    @Test
    void opsBuilderNamesNeverCollide() {
        Graph g = new Graph("g");
        Ops ops = new Ops(g, 17);
        Value v = g.addInput("relu", F32);
        for (int i = 0; i < 500; i++) {
            v = ops.op("Relu").in(v).out();
        }
        assertEquals(501, g.values().size());
        assertEquals(500, g.nodes().size());
        assertEquals(500, new HashSet<>(GraphAssertions.names(g.nodes())).size());
        assertIndexesConsistent(g);
    }
}
