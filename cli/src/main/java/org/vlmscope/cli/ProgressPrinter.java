package org.vlmscope.cli;

import java.io.PrintWriter;
import java.time.Duration;
import java.util.Locale;
import java.util.function.LongSupplier;
import org.vlmscope.experiments.records.Progress;
import org.vlmscope.experiments.records.ProgressListener;

/**
 * Renders a run's progress: on a terminal, one bar redrawn in place (at most ten times a second); otherwise
 * (a log file, a batch job) a plain line every {@link #LINE_INTERVAL}, so logs stay readable.
 */
final class ProgressPrinter implements ProgressListener {
    static final Duration LINE_INTERVAL = Duration.ofSeconds(30);
    private static final long REDRAW_NANOS = 100_000_000L;
    private static final int BAR_WIDTH = 30;

    private final PrintWriter out;
    private final boolean terminal;
    private final LongSupplier nanoTime;
    private long lastPrint = Long.MIN_VALUE;

    ProgressPrinter(PrintWriter out, boolean terminal, LongSupplier nanoTime) {
        this.out = out;
        this.terminal = terminal;
        this.nanoTime = nanoTime;
    }

    /** Progress on {@code out}, drawn as a bar when the process runs on a terminal. */
    static ProgressPrinter on(PrintWriter out) {
        return new ProgressPrinter(out, System.console() != null, System::nanoTime);
    }

    @Override
    public void progress(Progress p) {
        long now = nanoTime.getAsLong();
        boolean finished = p.done() == p.total();
        long interval = terminal ? REDRAW_NANOS : LINE_INTERVAL.toNanos();
        if (!finished && lastPrint != Long.MIN_VALUE && now - lastPrint < interval) {
            return;
        }
        lastPrint = now;
        if (terminal) {
            out.print("\r" + bar(p) + " " + figures(p) + (finished ? "\n" : ""));
        } else {
            out.println(figures(p));
        }
        out.flush();
    }

    static String bar(Progress p) {
        int filled = p.total() == 0 ? BAR_WIDTH : (int) ((long) BAR_WIDTH * p.done() / p.total());
        return "[" + "#".repeat(filled) + ".".repeat(BAR_WIDTH - filled) + "]";
    }

    static String figures(Progress p) {
        int percent = p.total() == 0 ? 100 : (int) (100L * p.done() / p.total());
        String resumed = p.resumed() > 0 ? " (" + p.resumed() + " resumed)" : "";
        String eta = p.eta().map(d -> ", ETA " + clock(d)).orElse("");
        return String.format(Locale.ROOT, "%d/%d%s %d%%, %.2f items/s%s", p.done(), p.total(), resumed, percent,
                p.itemsPerSecond(), eta);
    }

    /** h:mm:ss, or m:ss under an hour. */
    static String clock(Duration d) {
        long s = d.toSeconds();
        return s >= 3600 ? String.format(Locale.ROOT, "%d:%02d:%02d", s / 3600, s / 60 % 60, s % 60)
                : String.format(Locale.ROOT, "%d:%02d", s / 60, s % 60);
    }
}
