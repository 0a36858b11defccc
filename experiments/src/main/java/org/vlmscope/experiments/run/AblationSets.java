package org.vlmscope.experiments.run;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.SplittableRandom;
import java.util.stream.IntStream;
import org.vlmscope.core.BadArgumentException;
import org.vlmscope.experiments.metrics.TokenSets;

/**
 * The token sets the ablation experiment replaces (EXPERIMENTS.md, "Ablation"): {@code object},
 * {@code object+1}, {@code object+2} (the dataset's cells and buffers), {@code register} (see
 * {@link RegisterTokens}), {@code random-N} (seeded per image) and {@code ig-N} (the N visual tokens with the
 * largest integrated-gradients scores). Positions are visual-token indices, row-major, ascending. A set larger
 * than the image's visual tokens (random-250 on a 12x12 grid) takes them all; its record's {@code n_tokens} says
 * how many.
 */
public final class AblationSets {
    public static final List<Integer> SIZES = List.of(5, 10, 20, 40, 60, 100, 250);

    private AblationSets() {
    }

    /** All 18 sets in the paper's order (object, two buffers, register, random and IG at 7 sizes each). */
    public static List<String> all() {
        List<String> sets = new ArrayList<>(List.of("object", "object+1", "object+2", "register"));
        SIZES.forEach(n -> sets.add("random-" + n));
        SIZES.forEach(n -> sets.add("ig-" + n));
        return sets;
    }

    /** A comma list of set names, checked; {@code null} or empty for all. */
    public static List<String> parse(String spec) {
        if (spec == null || spec.isBlank()) {
            return all();
        }
        List<String> sets = new ArrayList<>();
        for (String part : spec.split(",")) {
            String set = part.trim();
            boolean sized = TokenSets.size(set).isPresent() && TokenSets.size(set).getAsInt() > 0;
            if (!set.equals("object") && !set.equals("object+1") && !set.equals("object+2")
                    && !set.equals("register") && !sized) {
                throw new BadArgumentException("--sets: unknown token set '" + set + "'; expected object, object+1, "
                        + "object+2, register, random-N or ig-N (N > 0)");
            }
            if (sets.contains(set)) {
                throw new BadArgumentException("--sets names '" + set + "' twice");
            }
            sets.add(set);
        }
        return sets;
    }

    /** Whether any set needs integrated gradients. */
    public static boolean needsGradients(List<String> sets) {
        return sets.stream().anyMatch(s -> TokenSets.strategy(s).equals("ig"));
    }

    /** Whether any set needs the visual-token norms. */
    public static boolean needsNorms(List<String> sets) {
        return sets.contains("register");
    }

    /**
     * What decides the sets of one image: the dataset's cells and buffers, the register tokens (null when not
     * needed), the integrated-gradients score of each visual token (null when not needed), the visual-token count,
     * and the seed of the random sets.
     */
    public record ImageEvidence(String imageId, int[] objectCells, int[] buffer1, int[] buffer2, int[] register,
                                float[] gradientScores, int visualTokens, long seed) {
    }

    /** The visual-token indices of {@code set} for one image. */
    public static int[] positions(String set, ImageEvidence e) {
        return switch (set) {
            case "object" -> sorted(e.objectCells());
            case "object+1" -> sorted(e.buffer1());
            case "object+2" -> sorted(e.buffer2());
            case "register" -> sorted(e.register());
            default -> {
                int n = Math.min(TokenSets.size(set).getAsInt(), e.visualTokens());
                yield TokenSets.strategy(set).equals("ig") ? topScores(e.gradientScores(), n)
                        : random(e.imageId(), e.seed(), n, e.visualTokens());
            }
        };
    }

    /** The {@code n} indices of the largest scores (the lower index first on ties), ascending. */
    static int[] topScores(float[] scores, int n) {
        return sorted(IntStream.range(0, scores.length).boxed()
                .sorted(Comparator.<Integer>comparingDouble(i -> -scores[i]).thenComparingInt(i -> i))
                .limit(n).mapToInt(Integer::intValue).toArray());
    }

    /**
     * {@code n} distinct indices below {@code visualTokens}, drawn by a partial Fisher-Yates shuffle seeded by the
     * run's seed, the image and {@code n}: the same on every machine and in any order of work.
     */
    static int[] random(String imageId, long seed, int n, int visualTokens) {
        SplittableRandom rng = new SplittableRandom(seed * 0x9E3779B97F4A7C15L + imageId.hashCode() * 31L + n);
        int[] all = IntStream.range(0, visualTokens).toArray();
        for (int i = 0; i < n; i++) {
            int j = i + rng.nextInt(visualTokens - i);
            int t = all[i];
            all[i] = all[j];
            all[j] = t;
        }
        return sorted(Arrays.copyOf(all, n));
    }

    private static int[] sorted(int[] values) {
        int[] out = values.clone();
        Arrays.sort(out);
        return out;
    }
}
