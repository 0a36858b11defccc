package org.vlmscope.experiments.metrics;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.vlmscope.core.BadArgumentException;

/**
 * When a logit-lens token "names the object" (section 4.1): the token and the target (the object's first
 * sub-word or its name; the runner chooses and records it) are normalised, then compared whole
 * ({@code exact}) or with the token as a non-empty prefix of the target ({@code prefix}, so "ele" counts for
 * "elephant"). Normalising can strip the SentencePiece space marker (U+2581) and surrounding spaces
 * ({@code strip-marker}) and fold case ({@code casefold}).
 *
 * <p>Written as a comma list, e.g. {@code exact,casefold,strip-marker} (the default), which is also how
 * {@link #toString()} writes it into a run's options and each {@code LensRecord.matchRule}.
 */
public record TokenMatchRule(boolean prefix, boolean caseFold, boolean stripMarker) {
    public static final TokenMatchRule DEFAULT = new TokenMatchRule(false, true, true);
    private static final char SENTENCEPIECE_SPACE = '\u2581';

    public static TokenMatchRule parse(String spec) {
        Boolean prefix = null;
        boolean caseFold = false;
        boolean stripMarker = false;
        for (String part : spec.split(",")) {
            switch (part.trim()) {
                case "exact" -> prefix = setOnce(prefix, false, spec);
                case "prefix" -> prefix = setOnce(prefix, true, spec);
                case "casefold" -> caseFold = true;
                case "strip-marker" -> stripMarker = true;
                default -> throw new BadArgumentException("token match rule '" + spec + "': unknown part '"
                        + part.trim() + "'; expected exact or prefix, optionally casefold and strip-marker");
            }
        }
        if (prefix == null) {
            throw new BadArgumentException("token match rule '" + spec + "' says neither exact nor prefix");
        }
        return new TokenMatchRule(prefix, caseFold, stripMarker);
    }

    private static Boolean setOnce(Boolean current, boolean value, String spec) {
        if (current != null) {
            throw new BadArgumentException("token match rule '" + spec + "' says both exact and prefix");
        }
        return value;
    }

    public boolean matches(String token, String target) {
        String t = normalised(token);
        String goal = normalised(target);
        if (t.isEmpty() || goal.isEmpty()) {
            return false;
        }
        return prefix ? goal.startsWith(t) : goal.equals(t);
    }

    private String normalised(String text) {
        String out = text;
        if (stripMarker) {
            out = out.replace(SENTENCEPIECE_SPACE, ' ').strip();
        }
        return caseFold ? out.toLowerCase(Locale.ROOT) : out;
    }

    /**
     * Per layer, the fraction of {@code objectCells} whose top-1 token ({@code topTokens[cell][layer][0]}) matches
     * {@code target}: a {@code LensRecord}'s {@code layer_fractions}.
     */
    public List<Double> layerFractions(List<List<List<String>>> topTokens, List<Integer> objectCells,
            String target) {
        if (objectCells.isEmpty()) {
            throw new IllegalArgumentException("no object cells: the fraction of object cells is undefined");
        }
        int layers = topTokens.get(objectCells.get(0)).size();
        List<Double> fractions = new ArrayList<>(layers);
        for (int l = 0; l < layers; l++) {
            int hits = 0;
            for (int cell : objectCells) {
                if (matches(topTokens.get(cell).get(l).get(0), target)) {
                    hits++;
                }
            }
            fractions.add((double) hits / objectCells.size());
        }
        return fractions;
    }

    @Override
    public String toString() {
        return (prefix ? "prefix" : "exact") + (caseFold ? ",casefold" : "") + (stripMarker ? ",strip-marker" : "");
    }
}
