package org.vlmscope.cli;

import java.util.Locale;

/** Human-readable sizes and rates, in decimal units (1 MB = 10^6 bytes) so that MB and MB/s agree. */
final class Units {
    private Units() {
    }

    static String bytes(long n) {
        if (n < 1_000) {
            return n + " B";
        }
        String[] units = {"kB", "MB", "GB", "TB"};
        double v = n;
        int u = -1;
        do {
            v /= 1000;
            u++;
        } while (v >= 1000 && u < units.length - 1);
        return String.format(Locale.ROOT, "%.1f %s", v, units[u]);
    }

    static String megabytesPerSecond(long bytes, double seconds) {
        return seconds > 0 ? String.format(Locale.ROOT, "%.1f MB/s", bytes / 1e6 / seconds) : "- MB/s";
    }

    static double secondsSince(long nanoTimeStart) {
        return (System.nanoTime() - nanoTimeStart) / 1e9;
    }
}
