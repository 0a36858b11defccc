package org.vlmscope.graph;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import ai.onnx.proto.OnnxMl.AttributeProto;
import ai.onnx.proto.OnnxMl.TensorProto.DataType;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashSet;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.function.Executable;

/** Shared helpers: tiny graph builders and a brute-force checker of the producer/consumer indexes. */
final class GraphAssertions {
    private GraphAssertions() {
    }

    static final TensorType F32 = TensorType.of(DataType.FLOAT, 2, 3);

    /** A node with fresh, exactly named outputs, built through the raw Graph API (no schema checks). */
    static Node node(Graph g, String op, List<Value> inputs, String... outputs) {
        return node(g, op, inputs, Map.of(), outputs);
    }

    static Node node(Graph g, String op, List<Value> inputs, Map<String, AttributeProto> attrs, String... outputs) {
        List<Value> outs = new ArrayList<>();
        for (String o : outputs) {
            outs.add(g.newValue(o, null));
        }
        return g.addNode(op, "", null, inputs, outs, attrs);
    }

    /** Inputs list allowing nulls (List.of rejects them). */
    static List<Value> ins(Value... values) {
        return Arrays.asList(values);
    }

    static List<String> names(Iterable<? extends Object> things) {
        List<String> out = new ArrayList<>();
        for (Object o : things) {
            out.add(o instanceof Value v ? v.name() : ((Node) o).name());
        }
        return out;
    }

    /** Asserts a GraphException whose message contains every fragment (the op, node or tensor it is about). */
    static GraphException assertGraphError(Executable action, String... fragments) {
        GraphException e = assertThrows(GraphException.class, action);
        for (String f : fragments) {
            assertTrue(e.getMessage().contains(f), () -> "message '" + e.getMessage() + "' should mention '" + f + "'");
        }
        return e;
    }

    /**
     * Recomputes every index from {@code g.nodes()} alone and compares: each value's producer, its consumers
     * as a multiset (one entry per use, explicit or implicit), ownership of everything a node, input, output or
     * initializer refers to, and node-name uniqueness.
     */
    static void assertIndexesConsistent(Graph g) {
        Map<Value, Node> producers = new IdentityHashMap<>();
        Map<Value, Map<Node, Integer>> uses = new IdentityHashMap<>();
        Set<String> nodeNames = new HashSet<>();
        for (Node n : g.nodes()) {
            assertTrue(nodeNames.add(n.name()), "duplicate node name " + n.name());
            List<Value> reads = new ArrayList<>(n.inputs());
            reads.addAll(n.implicitInputs());
            for (Value in : reads) {
                if (in != null) {
                    assertOwned(g, in, "input of " + n);
                    uses.computeIfAbsent(in, k -> new IdentityHashMap<>()).merge(n, 1, Integer::sum);
                }
            }
            for (Value out : n.outputs()) {
                assertOwned(g, out, "output of " + n);
                Node previous = producers.put(out, n);
                if (previous != null) {
                    fail("'" + out.name() + "' is written by both " + previous + " and " + n);
                }
            }
        }
        for (Value v : g.values()) {
            assertSame(v, g.value(v.name()), "values() and value(name) disagree on " + v.name());
            assertSame(producers.get(v), v.producer(), "producer of '" + v.name() + "'");
            Map<Node, Integer> actual = new IdentityHashMap<>();
            for (Node c : v.consumers()) {
                actual.merge(c, 1, Integer::sum);
            }
            assertEquals(uses.getOrDefault(v, Map.of()), actual, "consumers of '" + v.name() + "'");
        }
        for (Value v : g.inputs()) {
            assertOwned(g, v, "graph input");
            assertNull(v.producer(), "graph input '" + v.name() + "' has a producer");
        }
        for (Value v : g.outputs()) {
            assertOwned(g, v, "graph output");
        }
        for (Value v : g.initializers()) {
            assertOwned(g, v, "initializer");
            assertTrue(v.isInitializer());
            assertNull(v.producer(), "initializer '" + v.name() + "' has a producer");
        }
    }

    private static void assertOwned(Graph g, Value v, String role) {
        assertNotNull(g.value(v.name()), role + " '" + v.name() + "' is not in the graph's value table");
        assertSame(v, g.value(v.name()), role + " '" + v.name() + "' is a different object than the graph's");
    }

    /** After cleanup every remaining value must have a reason to exist. */
    static void assertNoStrayValues(Graph g) {
        Set<Value> referenced = Collections.newSetFromMap(new IdentityHashMap<>());
        referenced.addAll(g.inputs());
        referenced.addAll(g.outputs());
        referenced.addAll(g.initializers());
        for (Node n : g.nodes()) {
            n.inputs().stream().filter(v -> v != null).forEach(referenced::add);
            referenced.addAll(n.implicitInputs());
            referenced.addAll(n.outputs());
        }
        for (Value v : g.values()) {
            assertTrue(referenced.contains(v), "stray value '" + v.name() + "' survived cleanup");
        }
    }

    /** Every node comes after the producers of all its (explicit and implicit) inputs. */
    static void assertTopologicallySorted(Graph g) {
        Map<Node, Integer> position = new IdentityHashMap<>();
        for (Node n : g.nodes()) {
            position.put(n, position.size());
        }
        for (Node n : g.nodes()) {
            List<Value> reads = new ArrayList<>(n.inputs());
            reads.addAll(n.implicitInputs());
            for (Value in : reads) {
                if (in != null && in.producer() != null) {
                    assertTrue(position.get(in.producer()) < position.get(n),
                            n + " comes before " + in.producer() + " which produces its input '" + in.name() + "'");
                }
            }
        }
    }
}
