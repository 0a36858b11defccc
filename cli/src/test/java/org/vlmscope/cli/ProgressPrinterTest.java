package org.vlmscope.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.time.Duration;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.vlmscope.experiments.records.Progress;

class ProgressPrinterTest {
    private final long[] now = {0};
    private final StringWriter text = new StringWriter();

    private ProgressPrinter printer(boolean terminal) {
        return new ProgressPrinter(new PrintWriter(text), terminal, () -> now[0]);
    }

    private static Progress at(int done, double rate, Integer etaSeconds) {
        return new Progress(done, 40, 4, rate,
                etaSeconds == null ? Optional.empty() : Optional.of(Duration.ofSeconds(etaSeconds)));
    }

    @Test
    void onATerminalOneBarIsRedrawnInPlaceAtMostTenTimesASecond() {
        ProgressPrinter p = printer(true);
        p.progress(at(4, 0, null));
        now[0] = 50_000_000L;
        p.progress(at(5, 20, 2));            // 50 ms later: not redrawn
        now[0] = 150_000_000L;
        p.progress(at(10, 2.5, 3725));
        now[0] = 160_000_000L;
        p.progress(at(40, 2.5, 0));          // the last one always
        assertEquals("\r[###...........................] 4/40 (4 resumed) 10%, 0.00 items/s"
                + "\r[#######.......................] 10/40 (4 resumed) 25%, 2.50 items/s, ETA 1:02:05"
                + "\r[##############################] 40/40 (4 resumed) 100%, 2.50 items/s, ETA 0:00\n",
                text.toString());
    }

    @Test
    void elsewherePlainLinesEveryThirtySeconds() {
        ProgressPrinter p = printer(false);
        p.progress(at(4, 0, null));
        now[0] = 29_000_000_000L;
        p.progress(at(6, 1, 34));
        now[0] = 31_000_000_000L;
        p.progress(at(7, 1, 33));
        assertEquals("4/40 (4 resumed) 10%, 0.00 items/s\n7/40 (4 resumed) 17%, 1.00 items/s, ETA 0:33\n",
                text.toString().replace("\r\n", "\n"));
    }
}
