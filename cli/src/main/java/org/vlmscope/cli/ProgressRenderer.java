package org.vlmscope.cli;

import java.io.PrintWriter;
import java.util.Locale;
import java.util.function.LongSupplier;
import org.vlmscope.experiments.ProgressListener;

/**
 * Renders library progress on stderr: on a terminal one bar redrawn in place (at most 10 times a second), otherwise
 * one line per task at each tenth of the way, so logs stay short. Tasks that finish within two seconds show
 * nothing: progress is for long work, and a quick command's stderr stays free for its error line.
 */
final class ProgressRenderer implements ProgressListener {
    private static final int BAR = 30;
    private static final long REDRAW_NANOS = 100_000_000L;
    private static final long QUIET_NANOS = 2_000_000_000L;

    private final PrintWriter err;
    private final boolean terminal;
    private final LongSupplier clock;
    private String task;
    private int lastTenth = -1;
    private long lastDraw;
    private long started;
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
        if (!task.equals(this.task)) {
            this.task = task;
            lastTenth = -1;
            lastDraw = 0;
            started = clock.getAsLong();
            shown = false;
        }
        double fraction = total <= 0 ? 1 : Math.min(1, (double) done / total);
        boolean finished = done >= total;
        long now = clock.getAsLong();
        if (!shown && now - started < QUIET_NANOS) {
            return;
        }
        shown = true;
        if (terminal) {
            if (!finished && now - lastDraw < REDRAW_NANOS) {
                return;
            }
            lastDraw = now;
            int filled = (int) (fraction * BAR);
            err.print(String.format(Locale.ROOT, "\r%-24s [%s%s] %3d%% (%d/%d)", task, "=".repeat(filled),
                    " ".repeat(BAR - filled), Math.round(fraction * 100), done, total));
            if (finished) {
                err.println();
            }
            err.flush();
            return;
        }
        int tenth = (int) (fraction * 10);
        if (tenth > lastTenth) {
            lastTenth = tenth;
            err.println(String.format(Locale.ROOT, "%s: %d%% (%d/%d)", task, tenth * 10, done, total));
            err.flush();
        }
    }
}
