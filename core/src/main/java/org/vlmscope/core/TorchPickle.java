package org.vlmscope.core;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What the {@code data.pkl} of a PyTorch archive says about the one tensor it holds, read WITHOUT executing the
 * pickle: its opcodes are interpreted as data. A {@code GLOBAL} becomes a name, a {@code REDUCE} a record of the call
 * it would make, a persistent id a record of the id; nothing is imported and nothing is called. Only the opcodes
 * {@code torch.save} writes for a tensor (protocols 2 to 4) are understood; any other is refused.
 *
 * <p>{@code torch.save(tensor)} pickles {@code _rebuild_tensor_v2(storage, storage_offset, size, stride,
 * requires_grad, backward_hooks)} where the storage is the persistent id {@code ('storage', StorageClass, key,
 * location, numel)} and its bytes are the archive entry {@code data/<key>}.
 *
 * @param storageClass the storage's class name, e.g. {@code FloatStorage}
 * @param key the storage's entry name under {@code data/}
 * @param storageNumel elements in the storage
 * @param offset the tensor's first element in the storage
 * @param shape the tensor's size
 * @param stride the tensor's strides, in elements
 */
record TorchPickle(String storageClass, String key, long storageNumel, long offset, long[] shape, long[] stride) {
    /** A one-tensor pickle is about 150 bytes; anything much larger is not what this reader is for. */
    static final int MAX_BYTES = 64 * 1024;

    private record Global(String module, String name) {
        @Override
        public String toString() {
            return module + "." + name;
        }
    }

    private record Call(Object callable, List<Object> args) {
    }

    private record PersistentId(Object id) {
    }

    private static final Object MARK = new Object();
    private static final Global REBUILD_TENSOR = new Global("torch._utils", "_rebuild_tensor_v2");

    /**
     * Parses {@code pickle}; {@code where} names the file in messages.
     *
     * @throws VlmscopeException when the pickle is malformed, uses an opcode outside the subset, or does not
     *     describe one tensor rebuilt from one storage
     */
    static TorchPickle parse(byte[] pickle, String where) {
        if (pickle.length > MAX_BYTES) {
            throw new VlmscopeException(where + ": data.pkl has " + pickle.length + " bytes; the pickle of one tensor "
                    + "has a few hundred (at most " + MAX_BYTES + " are read)");
        }
        Object root = new Machine(pickle, where).run();
        if (!(root instanceof Call call) || !REBUILD_TENSOR.equals(call.callable())) {
            throw new VlmscopeException(where + ": data.pkl does not describe one tensor: expected a call of "
                    + REBUILD_TENSOR + ", found " + describe(root));
        }
        List<Object> args = call.args();
        if (args.size() < 4 || !(args.get(0) instanceof PersistentId pid) || !(pid.id() instanceof List<?> id)
                || id.size() != 5 || !"storage".equals(id.get(0)) || !(id.get(1) instanceof Global storageClass)
                || !(id.get(2) instanceof String key) || !(id.get(4) instanceof Long numel)) {
            throw new VlmscopeException(where + ": data.pkl rebuilds a tensor from something other than one storage "
                    + "('storage', StorageClass, key, location, numel): " + describe(args));
        }
        if (!storageClass.module().equals("torch")) {
            throw new VlmscopeException(where + ": storage class " + storageClass + " is not a torch storage");
        }
        return new TorchPickle(storageClass.name(), key, numel, nonNegative(where, "storage offset", args.get(1)),
                longs(where, "size", args.get(2)), longs(where, "stride", args.get(3)));
    }

    private static long nonNegative(String where, String what, Object value) {
        if (!(value instanceof Long v) || v < 0) {
            throw new VlmscopeException(where + ": tensor " + what + " is " + describe(value)
                    + ": expected a non-negative integer");
        }
        return v;
    }

    private static long[] longs(String where, String what, Object value) {
        if (!(value instanceof List<?> list)) {
            throw new VlmscopeException(where + ": tensor " + what + " is " + describe(value)
                    + ": expected a tuple of non-negative integers");
        }
        long[] out = new long[list.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = nonNegative(where, what, list.get(i));
        }
        return out;
    }

    private static String describe(Object value) {
        return describe(value, 0);
    }

    /** Depth-bounded: a pickle can build a list that contains itself. */
    private static String describe(Object value, int depth) {
        if (depth > 4) {
            return "...";
        }
        if (value instanceof List<?> list) {
            List<String> parts = new ArrayList<>();
            for (int i = 0; i < Math.min(list.size(), 8); i++) {
                parts.add(describe(list.get(i), depth + 1));
            }
            return "(" + String.join(", ", parts) + (list.size() > 8 ? ", ..." : "") + ")";
        }
        if (value instanceof Call c) {
            return describe(c.callable(), depth + 1) + describe(c.args(), depth + 1);
        }
        if (value instanceof PersistentId p) {
            return "persistent id " + describe(p.id(), depth + 1);
        }
        if (value instanceof Map<?, ?> m) {
            return "a dict of " + m.size() + " items";
        }
        if (value instanceof String s) {
            return "'" + (s.length() > 40 ? s.substring(0, 40) + "..." : s) + "'";
        }
        return String.valueOf(value);
    }

    @Override
    public String toString() {
        return storageClass + "[" + storageNumel + "] offset " + offset + " size " + Arrays.toString(shape)
                + " stride " + Arrays.toString(stride);
    }

    /** The stack machine. Tuples and lists are Java lists, dicts maps; input bounds keep stack and memo small. */
    private static final class Machine {
        private final byte[] in;
        private final String where;
        private final List<Object> stack = new ArrayList<>();
        private final Map<Long, Object> memo = new HashMap<>();
        private int at;

        Machine(byte[] in, String where) {
            this.in = in;
            this.where = where;
        }

        Object run() {
            while (true) {
                int position = at;
                int op = u8();
                switch (op) {
                    case 0x80 -> u8(); // PROTO
                    case 0x95 -> skip(8); // FRAME: a length hint
                    case '.' -> {
                        Object top = pop(position);
                        if (!stack.isEmpty()) {
                            throw error(position, "STOP leaves " + stack.size() + " values on the stack");
                        }
                        return top;
                    }
                    case 'c' -> push(new Global(line(), line()));
                    case 0x93 -> {
                        Object name = pop(position);
                        Object module = pop(position);
                        if (!(module instanceof String m) || !(name instanceof String n)) {
                            throw error(position, "STACK_GLOBAL needs two strings");
                        }
                        push(new Global(m, n));
                    }
                    case 'q' -> memo.put((long) u8(), peek(position));
                    case 'r' -> memo.put(u32(), peek(position));
                    case 0x94 -> memo.put((long) memo.size(), peek(position));
                    case 'h' -> push(memoGet(position, u8()));
                    case 'j' -> push(memoGet(position, u32()));
                    case '(' -> push(MARK);
                    case ')' -> push(List.of());
                    case 't' -> push(Collections.unmodifiableList(popToMark(position)));
                    case 0x85 -> push(popList(position, 1));
                    case 0x86 -> push(popList(position, 2));
                    case 0x87 -> push(popList(position, 3));
                    case ']' -> push(new ArrayList<>());
                    case 'l' -> push(new ArrayList<>(popToMark(position)));
                    case 'a' -> {
                        Object item = pop(position);
                        list(position).add(item);
                    }
                    case 'e' -> {
                        List<Object> items = popToMark(position);
                        list(position).addAll(items);
                    }
                    case '}' -> push(new LinkedHashMap<>());
                    case 's' -> {
                        Object value = pop(position);
                        Object key = pop(position);
                        dict(position).put(hashable(position, key), value);
                    }
                    case 'u' -> {
                        List<Object> items = popToMark(position);
                        if (items.size() % 2 != 0) {
                            throw error(position, "SETITEMS with an odd number of values");
                        }
                        Map<Object, Object> dict = dict(position);
                        for (int i = 0; i < items.size(); i += 2) {
                            dict.put(hashable(position, items.get(i)), items.get(i + 1));
                        }
                    }
                    case 'K' -> push((long) u8());
                    case 'M' -> push((long) (u8() | u8() << 8));
                    case 'J' -> push((long) (int) u32());
                    case 0x8a -> push(long1(position));
                    case 'G' -> push(Double.longBitsToDouble(bigEndian64()));
                    case 'N' -> push(null);
                    case 0x88 -> push(Boolean.TRUE);
                    case 0x89 -> push(Boolean.FALSE);
                    case 'X' -> push(utf8(length(position, u32())));
                    case 0x8c -> push(utf8(u8()));
                    case 'Q' -> push(new PersistentId(pop(position)));
                    case 'R' -> {
                        Object args = pop(position);
                        Object callable = pop(position);
                        if (!(args instanceof List<?> list)) {
                            throw error(position, "REDUCE needs a tuple of arguments");
                        }
                        push(new Call(callable, Collections.unmodifiableList(new ArrayList<Object>(list))));
                    }
                    default -> throw error(position, String.format("opcode 0x%02x is not one torch.save writes for a "
                            + "tensor; refusing to interpret it", op));
                }
            }
        }

        private VlmscopeException error(int position, String what) {
            return new VlmscopeException(where + ": data.pkl is not a pickle this reader understands (byte "
                    + position + "): " + what);
        }

        private int u8() {
            if (at >= in.length) {
                throw error(at, "it ends before its STOP opcode");
            }
            return in[at++] & 0xFF;
        }

        private long u32() {
            return u8() | (long) u8() << 8 | (long) u8() << 16 | (long) u8() << 24;
        }

        private long bigEndian64() {
            long v = 0;
            for (int i = 0; i < 8; i++) {
                v = v << 8 | u8();
            }
            return v;
        }

        private void skip(int count) {
            for (int i = 0; i < count; i++) {
                u8();
            }
        }

        private int length(int position, long length) {
            if (length > in.length - at) {
                throw error(position, "a string of " + length + " bytes runs past the end");
            }
            return (int) length;
        }

        private String utf8(int length) {
            if (length > in.length - at) {
                throw error(at, "a string of " + length + " bytes runs past the end");
            }
            String s = new String(in, at, length, StandardCharsets.UTF_8);
            at += length;
            return s;
        }

        /** GLOBAL's operands: text up to a newline. */
        private String line() {
            int start = at;
            while (u8() != '\n') {
                // scanning; u8 refuses to run past the end
            }
            return new String(in, start, at - 1 - start, StandardCharsets.UTF_8);
        }

        /** LONG1: a little-endian two's-complement integer of up to 8 bytes. */
        private Long long1(int position) {
            int n = u8();
            if (n > 8) {
                throw error(position, "an integer of " + n + " bytes is beyond 64 bits");
            }
            long v = 0;
            for (int i = 0; i < n; i++) {
                v |= (long) u8() << (8 * i);
            }
            if (n > 0 && n < 8 && (v & 1L << (8 * n - 1)) != 0) {
                v -= 1L << (8 * n);
            }
            return v;
        }

        /** Dict keys are kept to plain values: hashing a list that contains itself would never end. */
        private Object hashable(int position, Object key) {
            if (key != null && !(key instanceof String) && !(key instanceof Long) && !(key instanceof Boolean)) {
                throw error(position, "a dict key that is not a string, integer or boolean");
            }
            return key;
        }

        private void push(Object value) {
            stack.add(value);
        }

        private Object pop(int position) {
            if (stack.isEmpty() || stack.get(stack.size() - 1) == MARK) {
                throw error(position, "an opcode needs a value the stack does not hold");
            }
            return stack.remove(stack.size() - 1);
        }

        private Object peek(int position) {
            if (stack.isEmpty()) {
                throw error(position, "PUT with an empty stack");
            }
            return stack.get(stack.size() - 1);
        }

        private Object memoGet(int position, long index) {
            if (!memo.containsKey(index)) {
                throw error(position, "GET of memo entry " + index + ", which was never PUT");
            }
            return memo.get(index);
        }

        private List<Object> popToMark(int position) {
            int mark = stack.lastIndexOf(MARK);
            if (mark < 0) {
                throw error(position, "no MARK to collect values from");
            }
            List<Object> items = new ArrayList<>(stack.subList(mark + 1, stack.size()));
            stack.subList(mark, stack.size()).clear();
            return items;
        }

        private List<Object> popList(int position, int count) {
            Object[] items = new Object[count];
            for (int i = count - 1; i >= 0; i--) {
                items[i] = pop(position);
            }
            return Arrays.asList(items);
        }

        @SuppressWarnings("unchecked")
        private List<Object> list(int position) {
            Object top = peek(position);
            if (!(top instanceof ArrayList<?>)) {
                throw error(position, "APPEND to something that is not a list");
            }
            return (List<Object>) top;
        }

        @SuppressWarnings("unchecked")
        private Map<Object, Object> dict(int position) {
            Object top = peek(position);
            if (!(top instanceof LinkedHashMap<?, ?>)) {
                throw error(position, "SETITEM on something that is not a dict");
            }
            return (Map<Object, Object>) top;
        }
    }
}
