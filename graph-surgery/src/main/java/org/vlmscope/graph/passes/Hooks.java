package org.vlmscope.graph.passes;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Pattern;
import org.vlmscope.core.vocab.MetadataKeys;
import org.vlmscope.graph.GraphException;
import org.vlmscope.graph.OnnxModel;

/**
 * The hook names a graph carries (recorded by the exporter in metadata_props "vlmscope.hooks") and glob
 * matching over them: {@code *} matches within a dotted name and across dots, {@code ?} one character,
 * {@code {a,b}} alternatives.
 */
public final class Hooks {
    public static final String METADATA_KEY = MetadataKeys.HOOKS;

    private Hooks() {
    }

    public static List<String> of(OnnxModel model) {
        String hooks = model.metadata().get(METADATA_KEY);
        if (hooks == null || hooks.isEmpty()) {
            return List.of();
        }
        return Arrays.asList(hooks.split(","));
    }

    /** Hooks matching any of the globs, in graph order. A glob that matches nothing is an error naming it. */
    public static List<String> match(List<String> hooks, List<String> globs) {
        return match(hooks, globs, false);
    }

    /** As {@link #match(List, List)}; with {@code allowEmpty} a glob matching nothing is no error. */
    static List<String> match(List<String> hooks, List<String> globs, boolean allowEmpty) {
        Set<String> matched = new LinkedHashSet<>();
        for (String glob : globs) {
            Pattern p = toRegex(glob);
            List<String> hits = hooks.stream().filter(h -> p.matcher(h).matches()).toList();
            if (hits.isEmpty() && !allowEmpty) {
                throw new GraphException("no hook matches '" + glob + "'; hooks look like "
                        + hooks.subList(0, Math.min(6, hooks.size())) + " (" + hooks.size() + " in all)");
            }
            matched.addAll(hits);
        }
        List<String> ordered = new ArrayList<>();
        for (String h : hooks) {
            if (matched.contains(h)) {
                ordered.add(h);
            }
        }
        return ordered;
    }

    static Pattern toRegex(String glob) {
        StringBuilder re = new StringBuilder();
        for (int i = 0; i < glob.length(); i++) {
            char c = glob.charAt(i);
            switch (c) {
                case '*' -> re.append(".*");
                case '?' -> re.append('.');
                case '{' -> re.append("(?:");
                case '}' -> re.append(')');
                case ',' -> re.append('|');
                default -> re.append(Pattern.quote(String.valueOf(c)));
            }
        }
        return Pattern.compile(re.toString());
    }
}
