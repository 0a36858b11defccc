package org.vlmscope.experiments.records;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class ProgressMeterTest {
    @Test
    void theRateCountsOnlyUnitsProcessedSinceTheStartAndTheEtaExtrapolatesIt() {
        long[] now = {0};
        List<Progress> seen = new ArrayList<>();
        ProgressMeter meter = new ProgressMeter(10, 4, seen::add, () -> now[0]);
        assertEquals(new Progress(4, 10, 4, 0, Optional.empty()), seen.get(0));
        now[0] = 2_000_000_000L;
        meter.unitDone();
        now[0] = 4_000_000_000L;
        meter.unitDone();
        Progress last = seen.get(seen.size() - 1);
        assertEquals(6, last.done());
        assertEquals(0.5, last.itemsPerSecond(), 1e-12);   // 2 units in 4 s
        assertEquals(Optional.of(Duration.ofSeconds(8)), last.eta()); // 4 left at 0.5/s
        assertTrue(seen.size() == 3);
    }
}
