package org.vlmscope.experiments.run;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.IntStream;
import org.vlmscope.core.BadArgumentException;

/**
 * A window of decoder layers (0-indexed, inclusive) in which knockouts apply. The named windows are the paper's
 * for a 32-layer LM (Early 0-9, Early-Mid 5-14, Mid 11-20, Mid-Late 15-24, Late 21-31, All 0-31); a model of
 * another depth L gets them scaled: layers {@code round(first * L / 32)} to {@code round((last + 1) * L / 32) - 1}
 * (at least one layer), so a 32-layer model gets exactly the paper's. A sliding window of width W gives every
 * {@code s-(s+W-1)} for s = 0..L-W.
 */
public record LayerWindow(String name, int first, int last) {
    private static final int PAPER_DEPTH = 32;
    private static final Map<String, int[]> PAPER = new LinkedHashMap<>();

    static {
        PAPER.put("early", new int[] {0, 9});
        PAPER.put("early-mid", new int[] {5, 14});
        PAPER.put("mid", new int[] {11, 20});
        PAPER.put("mid-late", new int[] {15, 24});
        PAPER.put("late", new int[] {21, 31});
        PAPER.put("all", new int[] {0, 31});
    }

    public int[] layers() {
        return IntStream.rangeClosed(first, last).toArray();
    }

    /** The named windows in {@code spec} (a comma list; null or empty for all six) for a model of {@code depth}. */
    public static List<LayerWindow> named(String spec, int depth) {
        List<String> names = spec == null || spec.isBlank() ? List.copyOf(PAPER.keySet())
                : List.of(spec.split(","));
        List<LayerWindow> out = new ArrayList<>();
        for (String raw : names) {
            String name = raw.trim();
            int[] paper = PAPER.get(name);
            if (paper == null) {
                throw new BadArgumentException("--windows: unknown window '" + name + "'; expected " + PAPER.keySet());
            }
            if (out.stream().anyMatch(w -> w.name().equals(name))) {
                throw new BadArgumentException("--windows names '" + name + "' twice");
            }
            int first = (int) Math.round((double) paper[0] * depth / PAPER_DEPTH);
            int last = Math.max(first, (int) Math.round((double) (paper[1] + 1) * depth / PAPER_DEPTH) - 1);
            out.add(new LayerWindow(name, first, Math.min(last, depth - 1)));
        }
        return out;
    }

    /** Every window of {@code width} consecutive layers of a model of {@code depth}. */
    public static List<LayerWindow> sliding(int width, int depth) {
        if (width < 1 || width > depth) {
            throw new BadArgumentException("--sliding " + width + ": expected a width from 1 to the model's "
                    + depth + " layers");
        }
        List<LayerWindow> out = new ArrayList<>();
        for (int s = 0; s + width <= depth; s++) {
            out.add(new LayerWindow(s + "-" + (s + width - 1), s, s + width - 1));
        }
        return out;
    }
}
