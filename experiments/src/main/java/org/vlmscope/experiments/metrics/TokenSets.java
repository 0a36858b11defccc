package org.vlmscope.experiments.metrics;

import java.util.Comparator;
import java.util.OptionalInt;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The ablation token-set names ({@code object}, {@code object+1}, {@code object+2}, {@code register},
 * {@code ig-N}, {@code random-N}): their order in Table 1 (the paper's), their labels, and the strategy and size
 * a plot puts them at.
 */
public final class TokenSets {
    private static final Pattern SIZED = Pattern.compile("(ig|random)-(\\d+)");

    /** The paper's row order: object, its buffers, register, integrated gradients by n, random by n. */
    public static final Comparator<String> ORDER = Comparator.comparingInt(TokenSets::rank)
            .thenComparingInt(set -> size(set).orElse(0))
            .thenComparing(Comparator.naturalOrder());

    private TokenSets() {
    }

    /** The strategy a set belongs to: object, register, ig, random, or the name itself if unknown. */
    public static String strategy(String set) {
        Matcher m = SIZED.matcher(set);
        if (m.matches()) {
            return m.group(1);
        }
        return set.startsWith("object") ? "object" : set;
    }

    /** The fixed size of an {@code ig-N} or {@code random-N} set. */
    public static OptionalInt size(String set) {
        Matcher m = SIZED.matcher(set);
        return m.matches() ? OptionalInt.of(Integer.parseInt(m.group(2))) : OptionalInt.empty();
    }

    public static String label(String set) {
        return switch (set) {
            case "object" -> "Object";
            case "object+1" -> "+ 1 Buffer";
            case "object+2" -> "+ 2 Buffer";
            case "register" -> "Register tokens";
            default -> switch (strategy(set)) {
                case "ig" -> "Int. Gradients (" + size(set).getAsInt() + ")";
                case "random" -> "Random (" + size(set).getAsInt() + ")";
                default -> set;
            };
        };
    }

    /** Strategy labels for plot legends. */
    public static String strategyLabel(String strategy) {
        return switch (strategy) {
            case "object" -> "Object (+ buffers)";
            case "register" -> "Register tokens";
            case "ig" -> "Int. Gradients";
            case "random" -> "Random";
            default -> strategy;
        };
    }

    private static int rank(String set) {
        return switch (set) {
            case "object" -> 0;
            case "object+1" -> 1;
            case "object+2" -> 2;
            case "register" -> 3;
            default -> switch (strategy(set)) {
                case "ig" -> 4;
                case "random" -> 5;
                default -> 6;
            };
        };
    }
}
