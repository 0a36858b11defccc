package org.vlmscope.bench;

import java.lang.management.ManagementFactory;
import java.util.concurrent.atomic.AtomicLong;

/** Samples heap occupancy from a daemon thread; the peak includes garbage not yet collected. */
public final class HeapSampler {
    public static final long SAMPLE_MILLIS = 50;

    private final AtomicLong peak = new AtomicLong();
    private final Thread thread = new Thread(this::sample, "heap-sampler");
    private volatile boolean running = true;

    public void start() {
        thread.setDaemon(true);
        thread.start();
    }

    public void stop() throws InterruptedException {
        running = false;
        thread.join();
        record();
    }

    public long peak() {
        return peak.get();
    }

    private void sample() {
        while (running) {
            record();
            try {
                Thread.sleep(SAMPLE_MILLIS);
            } catch (InterruptedException e) {
                return;
            }
        }
    }

    private void record() {
        long used = ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
        peak.accumulateAndGet(used, Math::max);
    }
}
