package org.vlmscope.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.PrintWriter;
import java.io.StringWriter;
import org.junit.jupiter.api.Test;

class ProgressRendererTest {
    private long now;

    @Test
    void quickTasksStaySilent() {
        StringWriter out = new StringWriter();
        ProgressRenderer r = new ProgressRenderer(new PrintWriter(out, true), false, () -> now);
        r.report("reading", 0, 10);
        now += 1_000_000_000L;
        r.report("reading", 10, 10);
        assertEquals("", out.toString());
    }

    @Test
    void slowTasksPrintALineAtEachTenth() {
        StringWriter out = new StringWriter();
        ProgressRenderer r = new ProgressRenderer(new PrintWriter(out, true), false, () -> now);
        r.report("reading", 0, 100);
        now += 3_000_000_000L;
        for (int done = 1; done <= 100; done++) {
            r.report("reading", done, 100);
        }
        String[] lines = out.toString().split("\n");
        // The first report after the quiet period shows where the task stands, then one line per tenth.
        assertEquals(11, lines.length);
        assertEquals("reading: 0% (1/100)", lines[0]);
        assertEquals("reading: 10% (10/100)", lines[1]);
        assertEquals("reading: 100% (100/100)", lines[10]);
    }

    @Test
    void terminalBarEndsWithANewline() {
        StringWriter out = new StringWriter();
        ProgressRenderer r = new ProgressRenderer(new PrintWriter(out, true), true, () -> now);
        r.report("masking", 0, 4);
        now += 3_000_000_000L;
        r.report("masking", 4, 4);
        assertEquals("\rmasking                  [==============================] 100% (4/4)\n", out.toString());
    }
}
