package org.vlmscope.cli;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeSet;
import java.util.function.Function;
import java.util.regex.Pattern;

/**
 * Collapses names that differ only in a layer index, so a 32-layer model lists {@code blocks.{0..31}.hook_q}
 * once instead of 32 times: the first all-digit dotted segment is the index.
 */
final class HookNames {
    private static final Pattern INDEX = Pattern.compile("\\d+");

    /** One collapsed line: the name pattern and the label its members share. */
    record Group(String name, String label) {
    }

    private HookNames() {
    }

    /** Names collapsed by layer index, in the order of each group's first member. */
    static List<String> collapse(List<String> names) {
        return collapse(names, Function.identity(), n -> "").stream().map(Group::name).toList();
    }

    /**
     * Items collapsed by the layer index of their name; only items with the same {@code label} (a graph
     * input's type, say) fall into one group, so nothing that differs is hidden.
     */
    static <T> List<Group> collapse(List<T> items, Function<T, String> name, Function<T, String> label) {
        record Key(String prefix, String suffix, String label) {
        }
        Map<Key, TreeSet<Integer>> indices = new LinkedHashMap<>();
        Map<Key, String> firstName = new LinkedHashMap<>();
        for (T item : items) {
            String n = name.apply(item);
            String[] parts = n.split("\\.", -1);
            int at = -1;
            for (int i = 0; i < parts.length && at < 0; i++) {
                // Bounded length: an index beyond int range is not a layer index.
                if (parts[i].length() <= 9 && INDEX.matcher(parts[i]).matches()) {
                    at = i;
                }
            }
            Key key = at < 0 ? new Key(n, null, label.apply(item))
                    : new Key(String.join(".", List.of(parts).subList(0, at)),
                            String.join(".", List.of(parts).subList(at + 1, parts.length)), label.apply(item));
            indices.computeIfAbsent(key, k -> new TreeSet<>());
            firstName.putIfAbsent(key, n);
            if (at >= 0) {
                indices.get(key).add(Integer.parseInt(parts[at]));
            }
        }
        List<Group> out = new ArrayList<>();
        indices.forEach((key, idx) -> {
            String n = key.suffix == null || idx.size() == 1 ? firstName.get(key)
                    : join(key.prefix, "{" + ranges(idx) + "}", key.suffix);
            out.add(new Group(n, key.label));
        });
        return out;
    }

    private static String join(String prefix, String index, String suffix) {
        StringBuilder b = new StringBuilder();
        if (!prefix.isEmpty()) {
            b.append(prefix).append('.');
        }
        b.append(index);
        if (!suffix.isEmpty()) {
            b.append('.').append(suffix);
        }
        return b.toString();
    }

    /** "0..3" for a run of three or more consecutive indices, else the indices themselves: "0,1,5..7". */
    static String ranges(TreeSet<Integer> indices) {
        List<String> parts = new ArrayList<>();
        Integer start = null;
        Integer prev = null;
        for (Integer i : indices) {
            if (prev != null && i == prev + 1) {
                prev = i;
                continue;
            }
            if (start != null) {
                addRun(parts, start, prev);
            }
            start = i;
            prev = i;
        }
        addRun(parts, Objects.requireNonNull(start), prev);
        return String.join(",", parts);
    }

    private static void addRun(List<String> parts, int from, int to) {
        if (to - from >= 2) {
            parts.add(from + ".." + to);
        } else {
            for (int i = from; i <= to; i++) {
                parts.add(Integer.toString(i));
            }
        }
    }
}
