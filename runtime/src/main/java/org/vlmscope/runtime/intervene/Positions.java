package org.vlmscope.runtime.intervene;

import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;
import org.vlmscope.core.BadArgumentException;

/**
 * Position and layer lists as users write them: {@code 4-579}, {@code 10,11,12}, {@code 4-579,590}; layers may
 * also be {@code all}. Ranges are inclusive. The result is sorted and free of duplicates.
 */
public final class Positions {
    private Positions() {
    }

    /**
     * The largest value a list may hold: above any sequence, layer count or vocabulary a model has (vlmscope.json
     * allows vocabularies up to 2^22), and small enough that expanding a range stays a few megabytes.
     */
    public static final int MAX_VALUE = (1 << 22) - 1;

    /**
     * Parses a list; every value must be at most {@link #MAX_VALUE}, checked before any range is expanded, so
     * {@code 0-2147483647} is refused at once instead of building two billion positions.
     */
    public static int[] parse(String text, String what) {
        if (text == null || text.isBlank()) {
            throw new BadArgumentException("empty " + what + " list");
        }
        BitSet out = new BitSet();
        for (String part : text.split(",", -1)) {
            String p = part.trim();
            try {
                int dash = p.indexOf('-', 1);
                int lo = Integer.parseInt((dash > 0 ? p.substring(0, dash) : p).trim());
                int hi = dash > 0 ? Integer.parseInt(p.substring(dash + 1).trim()) : lo;
                if (dash > 0 && (lo < 0 || hi < lo)) {
                    throw new BadArgumentException("bad " + what + " range '" + p + "': expected LOW-HIGH with 0 <= LOW <= HIGH");
                }
                if (lo < 0) {
                    throw new BadArgumentException("bad " + what + " '" + p + "': must be >= 0");
                }
                if (hi > MAX_VALUE) {
                    throw new BadArgumentException("bad " + what + " '" + p + "': " + hi + " is beyond any model (at "
                            + "most " + MAX_VALUE + ")");
                }
                out.set(lo, hi + 1);
            } catch (NumberFormatException e) {
                throw new BadArgumentException("bad " + what + " list '" + text + "': '" + p
                        + "' is not a number or range (examples: 4-579, 10,11,12, 4-579,590)");
            }
        }
        return out.stream().toArray();
    }

    /** Layer list: like positions, or {@code all}; every layer must be below {@code layers}. */
    public static int[] parseLayers(String text, int layers) {
        int[] out = text.trim().equalsIgnoreCase("all") ? range(0, layers) : parse(text, "layer");
        for (int l : out) {
            if (l >= layers) {
                throw new BadArgumentException("layer " + l + " is out of range; the model has layers 0-" + (layers - 1));
            }
        }
        return out;
    }

    /** Checks every position lies inside a sequence of {@code length}. */
    public static void check(int[] positions, int length, String what) {
        for (int p : positions) {
            if (p >= length) {
                throw new BadArgumentException(what + " position " + p + " is beyond the sequence of " + length
                        + " tokens (positions 0-" + (length - 1) + ")");
            }
        }
    }

    public static int[] range(int from, int to) {
        int[] out = new int[to - from];
        for (int i = 0; i < out.length; i++) {
            out[i] = from + i;
        }
        return out;
    }

    /** Compact text form: runs of consecutive positions as ranges. */
    public static String format(int[] positions) {
        List<String> parts = new ArrayList<>();
        for (int i = 0; i < positions.length; ) {
            int j = i;
            while (j + 1 < positions.length && positions[j + 1] == positions[j] + 1) {
                j++;
            }
            parts.add(i == j ? Integer.toString(positions[i]) : positions[i] + "-" + positions[j]);
            i = j + 1;
        }
        return String.join(",", parts);
    }
}
