package org.vlmscope.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.PrintWriter;
import java.io.StringWriter;
import org.junit.jupiter.api.Test;

class ProgressRendererTest {
    private static final long SECOND = 1_000_000_000L;
    private long now;
    private final StringWriter out = new StringWriter();

    private ProgressRenderer renderer(boolean terminal) {
        return new ProgressRenderer(new PrintWriter(out, true), terminal, () -> now);
    }

    private String text() {
        return out.toString().replace("\r\n", "\n");
    }

    @Test
    void quickTasksStaySilent() {
        ProgressRenderer r = renderer(false);
        r.report("reading", 0, 10);
        now += SECOND;
        r.report("reading", 10, 10);
        assertEquals("", text());
    }

    @Test
    void slowTasksPrintALineAtEachTenthWithRateAndEta() {
        ProgressRenderer r = renderer(false);
        r.report("reading", 0, 100);
        now += 3 * SECOND;
        for (int done = 1; done <= 100; done++) {
            r.report("reading", done, 100);
        }
        String[] lines = text().split("\n");
        // The first report after the quiet period shows where the task stands, then one line per tenth.
        assertEquals(11, lines.length);
        assertEquals("reading:   1% (1/100), 0.33/s, ETA 4:57", lines[0]);     // 1 unit in 3 s, 99 left
        assertEquals("reading:  10% (10/100), 3.33/s, ETA 0:27", lines[1]);   // 10 in 3 s, 90 left
        assertEquals("reading: 100% (100/100), 33.33/s", lines[10]);
    }

    @Test
    void aSlowTaskStillPrintsEveryThirtySecondsBetweenTenths() {
        ProgressRenderer r = renderer(false);
        r.report("ablation", 0, 1000);
        now += 3 * SECOND;
        r.report("ablation", 1, 1000);
        now += 29 * SECOND;
        r.report("ablation", 2, 1000);                  // 29 s after the last line: not yet
        now += 2 * SECOND;
        r.report("ablation", 3, 1000);                  // 31 s: due
        assertEquals("ablation:   0% (1/1000), 0.33/s, ETA 49:57\n"
                + "ablation:   0% (3/1000), 0.09/s, ETA 3:08:19\n", text());   // 3 units in 34 s: 997 / (3/34) = 11299 s
    }

    @Test
    void aResumedRunCountsItsRateFromWhereItStarted() {
        ProgressRenderer r = renderer(true);
        r.report("ablation", 30, 40);
        now += 2 * SECOND;
        r.report("ablation", 31, 40);
        now += 50_000_000L;
        r.report("ablation", 32, 40);                   // 50 ms after a draw: not redrawn
        now += 1_950_000_000L;
        r.report("ablation", 40, 40);                   // the last one always
        assertEquals("\rablation                 [=======================       ]  78% (31/40, 30 resumed), 0.50/s,"
                + " ETA 0:18"
                + "\rablation                 [==============================] 100% (40/40, 30 resumed), 2.50/s\n",
                text());
    }
}
