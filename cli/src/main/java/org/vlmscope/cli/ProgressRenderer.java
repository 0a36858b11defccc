package org.vlmscope.cli;

import java.io.PrintWriter;
import java.time.Duration;
import java.util.Locale;
import java.util.function.LongSupplier;
import org.vlmscope.experiments.ProgressListener;

/**
 * Renders library progress on stderr: on a terminal one bar redrawn in place (at most 10 times a second), otherwise
 * (a log file, a batch job) one plain line at each tenth of the way and at least every {@link #LINE_INTERVAL}, so
 * logs stay short and a slow job still shows it is alive. Each shows the rate and the ETA, counted from where
 * the task started (a resumed run starts past zero; those units are shown as resumed, not as speed). Tasks that
 * finish within two seconds show nothing: progress is for long work, and a quick command's stderr stays free for
 * its error line.
 */
final class ProgressRenderer implements ProgressListener {
    static final Duration LINE_INTERVAL = Duration.ofSeconds(30);
    private static final int BAR = 30;
    private static final long REDRAW_NANOS = 100_000_000L;
    private static final long QUIET_NANOS = 2_000_000_000L;

    private final PrintWriter err;
    private final boolean terminal;
    private final LongSupplier clock;
    private String task;
    private long startDone;
    private long started;
    private long lastDraw;
    private int lastTenth;
    private boolean shown;

    ProgressRenderer(PrintWriter err, boolean terminal, LongSupplier clock) {
        this.err = err;
        this.terminal = terminal;
        this.clock = clock;
    }

    /** A renderer for {@code err}, drawing a bar when the process runs on a terminal. */
    static ProgressRenderer on(PrintWriter err) {
        return new ProgressRenderer(err, System.console() != null, System::nanoTime);
    }

    @Override
    public void report(String task, long done, long total) {
        long now = clock.getAsLong();
        if (!task.equals(this.task)) {
            this.task = task;
            startDone = done;
            started = now;
            lastTenth = tenth(done, total);
            shown = false;
        }
        boolean finished = done >= total;
        if (!shown && now - started < QUIET_NANOS) {
            return;
        }
        int tenth = tenth(done, total);
        boolean due = terminal ? now - lastDraw >= REDRAW_NANOS
                : tenth > lastTenth || now - lastDraw >= LINE_INTERVAL.toNanos();
        if (shown && !finished && !due) {
            return;
        }
        shown = true;
        lastDraw = now;
        lastTenth = tenth;
        if (terminal) {
            int filled = (int) (fraction(done, total) * BAR);
            err.print(String.format(Locale.ROOT, "\r%-24s [%s%s] %s", task, "=".repeat(filled),
                    " ".repeat(BAR - filled), figures(done, total, now)));
            if (finished) {
                err.println();
            }
        } else {
            err.println(task + ": " + figures(done, total, now));
        }
        err.flush();
    }

    /** {@code 40% (40/100, 4 resumed), 2.50/s, ETA 0:24}: the rate and ETA once some units were processed. */
    private String figures(long done, long total, long now) {
        StringBuilder s = new StringBuilder(String.format(Locale.ROOT, "%3d%% (%d/%d",
                Math.round(fraction(done, total) * 100), done, total));
        s.append(startDone > 0 ? ", " + startDone + " resumed)" : ")");
        double seconds = (now - started) / 1e9;
        long processed = done - startDone;
        if (processed > 0 && seconds > 0) {
            double rate = processed / seconds;
            s.append(String.format(Locale.ROOT, ", %.2f/s", rate));
            if (done < total) {
                s.append(", ETA ").append(clockText(Math.round((total - done) / rate)));
            }
        }
        return s.toString();
    }

    private static double fraction(long done, long total) {
        return total <= 0 ? 1 : Math.min(1, (double) done / total);
    }

    private static int tenth(long done, long total) {
        return (int) (fraction(done, total) * 10);
    }

    /** h:mm:ss, or m:ss under an hour. */
    static String clockText(long s) {
        return s >= 3600 ? String.format(Locale.ROOT, "%d:%02d:%02d", s / 3600, s / 60 % 60, s % 60)
                : String.format(Locale.ROOT, "%d:%02d", s / 60, s % 60);
    }
}
