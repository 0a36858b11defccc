package org.vlmscope.experiments.dataset;

import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.vlmscope.core.BadArgumentException;

/**
 * An interval of COCO {@code area} values (pixels), each bound open or closed: the ablation preset's
 * {@code 1000 < area < 2000} is {@code (1000,2000)}, the lens preset's {@code 20000 <= area <= 30000} is
 * {@code [20000,30000]}.
 */
public record AreaRange(double low, boolean lowClosed, double high, boolean highClosed) {
    private static final Pattern INTERVAL = Pattern.compile("\\s*([\\[(])\\s*([^,\\s]+)\\s*,\\s*([^\\])\\s]+)\\s*([\\])])\\s*");
    private static final Pattern PAIR = Pattern.compile("\\s*([^:\\s]+)\\s*:\\s*([^:\\s]+)\\s*");

    public static AreaRange open(double low, double high) {
        return new AreaRange(low, false, high, false);
    }

    public static AreaRange closed(double low, double high) {
        return new AreaRange(low, true, high, true);
    }

    public boolean contains(double area) {
        return (lowClosed ? area >= low : area > low) && (highClosed ? area <= high : area < high);
    }

    /**
     * Parses {@code LO:HI} (bounds open or closed like {@code bounds}) or interval notation such as
     * {@code (1000,2000)}, {@code [20000,30000]} or {@code [0,500)}.
     *
     * @throws BadArgumentException naming the text and the accepted forms
     */
    public static AreaRange parse(String text, AreaRange bounds) {
        Matcher interval = INTERVAL.matcher(text);
        if (interval.matches()) {
            return checked(text, new AreaRange(number(text, interval.group(2)), interval.group(1).equals("["),
                    number(text, interval.group(3)), interval.group(4).equals("]")));
        }
        Matcher pair = PAIR.matcher(text);
        if (pair.matches()) {
            return checked(text, new AreaRange(number(text, pair.group(1)), bounds.lowClosed,
                    number(text, pair.group(2)), bounds.highClosed));
        }
        throw new BadArgumentException("--area '" + text + "' is not an area range: expected LO:HI (the preset's "
                + "bounds, " + bounds + ") or an interval such as (1000,2000) or [20000,30000]");
    }

    private static AreaRange checked(String text, AreaRange range) {
        if (range.low > range.high || range.low < 0) {
            throw new BadArgumentException("--area '" + text + "' is empty or negative: expected 0 <= LO <= HI");
        }
        return range;
    }

    private static double number(String text, String value) {
        try {
            double v = Double.parseDouble(value);
            if (Double.isFinite(v)) {
                return v;
            }
        } catch (NumberFormatException e) {
            // reported below
        }
        throw new BadArgumentException("--area '" + text + "': '" + value + "' is not a number");
    }

    @Override
    public String toString() {
        return String.format(Locale.ROOT, "%s%s,%s%s", lowClosed ? "[" : "(", plain(low), plain(high),
                highClosed ? "]" : ")");
    }

    private static String plain(double v) {
        return v == Math.rint(v) ? Long.toString((long) v) : Double.toString(v);
    }
}
