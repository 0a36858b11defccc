package org.vlmscope.fuzz;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;

/** Seeded mutations of valid inputs: bytes (flips, cuts, splices, boundary integers) and JSON trees. */
final class Mutations {
    private static final JsonNodeFactory NODES = JsonNodeFactory.instance;
    /** Integers at the edges where parsers go wrong: signs, powers of two, int and long limits. */
    private static final long[] EDGE_INTEGERS = {0, 1, -1, 2, 3, 7, 255, 4097, 65536, 1_000_000_000L,
            Integer.MAX_VALUE, Integer.MIN_VALUE, 1L << 32, Long.MAX_VALUE, Long.MIN_VALUE};

    private Mutations() {
    }

    static long edgeInteger(Random r) {
        return EDGE_INTEGERS[r.nextInt(EDGE_INTEGERS.length)];
    }

    /** One to four byte-level mutations of {@code valid}. */
    static byte[] bytes(Random r, byte[] valid) {
        byte[] out = valid.clone();
        for (int n = 1 + r.nextInt(4); n > 0; n--) {
            out = mutateOnce(r, out);
        }
        return out;
    }

    private static byte[] mutateOnce(Random r, byte[] in) {
        if (in.length == 0) {
            return new byte[] {(byte) r.nextInt()};
        }
        int at = r.nextInt(in.length);
        switch (r.nextInt(7)) {
            case 0 -> {
                byte[] out = in.clone();
                out[at] ^= (byte) (1 << r.nextInt(8));
                return out;
            }
            case 1 -> {
                return Arrays.copyOf(in, at);
            }
            case 2 -> {
                byte[] extra = new byte[1 + r.nextInt(16)];
                r.nextBytes(extra);
                return concat(Arrays.copyOf(in, at), extra, Arrays.copyOfRange(in, at, in.length));
            }
            case 3 -> {
                int len = Math.min(in.length - at, 1 + r.nextInt(32));
                return concat(Arrays.copyOf(in, at), Arrays.copyOfRange(in, at + len, in.length));
            }
            case 4 -> {
                // A little-endian 4- or 8-byte field overwritten with an edge value.
                byte[] out = in.clone();
                long v = edgeInteger(r);
                int width = r.nextBoolean() ? 4 : 8;
                for (int i = 0; i < width && at + i < out.length; i++) {
                    out[at + i] = (byte) (v >>> (8 * i));
                }
                return out;
            }
            case 5 -> {
                byte[] out = in.clone();
                out[at] = (byte) new int[] {0, 0xFF, 0x7F, 0x80, '"', '{', ']', ','}[r.nextInt(8)];
                return out;
            }
            default -> {
                int len = Math.min(in.length - at, 1 + r.nextInt(64));
                return concat(Arrays.copyOf(in, at), Arrays.copyOfRange(in, at, at + len),
                        Arrays.copyOfRange(in, at, in.length));
            }
        }
    }

    private static byte[] concat(byte[]... parts) {
        int length = 0;
        for (byte[] p : parts) {
            length += p.length;
        }
        byte[] out = new byte[length];
        int at = 0;
        for (byte[] p : parts) {
            System.arraycopy(p, 0, out, at, p.length);
            at += p.length;
        }
        return out;
    }

    /** One to three tree mutations of a copy of {@code valid}: values replaced, keys removed or added. */
    static JsonNode json(Random r, JsonNode valid) {
        JsonNode root = valid.deepCopy();
        for (int n = 1 + r.nextInt(3); n > 0; n--) {
            List<JsonNode> containers = new ArrayList<>();
            collect(root, containers);
            JsonNode target = containers.get(r.nextInt(containers.size()));
            if (target instanceof ObjectNode o && o.size() > 0) {
                List<String> keys = new ArrayList<>();
                o.fieldNames().forEachRemaining(keys::add);
                String key = keys.get(r.nextInt(keys.size()));
                switch (r.nextInt(4)) {
                    case 0 -> o.remove(key);
                    case 1 -> o.set("fuzz_" + r.nextInt(100), value(r, key));
                    default -> o.set(key, value(r, key));
                }
            } else if (target instanceof ArrayNode a && a.size() > 0) {
                a.set(r.nextInt(a.size()), value(r, null));
            }
        }
        return root;
    }

    private static void collect(JsonNode node, List<JsonNode> out) {
        if (node.isContainerNode()) {
            out.add(node);
            node.forEach(child -> collect(child, out));
        }
    }

    /** A random JSON value: edge integers, odd numbers, strings, empty or nested containers. */
    static JsonNode value(Random r, String near) {
        return switch (r.nextInt(11)) {
            case 0 -> NODES.nullNode();
            case 1 -> NODES.booleanNode(r.nextBoolean());
            case 2, 3 -> NODES.numberNode(edgeInteger(r));
            case 4 -> NODES.numberNode(new BigInteger("123456789012345678901234567890"));
            case 5 -> NODES.numberNode(new double[] {0.0, -0.0, 1e-300, 1e300, -2.5, 0.5}[r.nextInt(6)]);
            case 6 -> NODES.textNode(new String[] {"", "fp64", "llama", "x".repeat(300), "../etc/passwd",
                    "\u0000", "1e9", near == null ? "n" : near}[r.nextInt(8)]);
            case 7 -> NODES.arrayNode();
            case 8 -> NODES.objectNode();
            case 9 -> NODES.arrayNode().add(edgeInteger(r)).add(edgeInteger(r));
            default -> NODES.objectNode().put("height", edgeInteger(r)).put("width", edgeInteger(r));
        };
    }

    static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }
}
