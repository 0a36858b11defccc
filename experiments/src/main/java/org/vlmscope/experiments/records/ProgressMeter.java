package org.vlmscope.experiments.records;

import java.time.Duration;
import java.util.Optional;
import java.util.function.LongSupplier;

/** Counts finished units of a run and reports {@link Progress} (rate, ETA) to a listener. */
public final class ProgressMeter {
    private final int total;
    private final int resumed;
    private final ProgressListener listener;
    private final LongSupplier nanoTime;
    private final long start;
    private int done;

    /** {@code resumed} of the {@code total} units were done by an earlier run; {@code nanoTime} is the clock. */
    public ProgressMeter(int total, int resumed, ProgressListener listener, LongSupplier nanoTime) {
        if (resumed < 0 || resumed > total) {
            throw new IllegalArgumentException(resumed + " resumed units of " + total);
        }
        this.total = total;
        this.resumed = resumed;
        this.listener = listener;
        this.nanoTime = nanoTime;
        this.start = nanoTime.getAsLong();
        this.done = resumed;
        listener.progress(current());
    }

    public ProgressMeter(int total, int resumed, ProgressListener listener) {
        this(total, resumed, listener, System::nanoTime);
    }

    /** One more unit finished. */
    public void unitDone() {
        if (done == total) {
            throw new IllegalStateException("all " + total + " units were already done");
        }
        done++;
        listener.progress(current());
    }

    public Progress current() {
        int processed = done - resumed;
        double seconds = (nanoTime.getAsLong() - start) / 1e9;
        double rate = processed > 0 && seconds > 0 ? processed / seconds : 0;
        Optional<Duration> eta = rate > 0
                ? Optional.of(Duration.ofMillis(Math.round((total - done) / rate * 1000)))
                : Optional.empty();
        return new Progress(done, total, resumed, rate, eta);
    }
}
