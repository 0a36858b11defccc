package org.vlmscope.experiments.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.vlmscope.core.VlmscopeException;
import org.vlmscope.experiments.records.LensRecord;

class LensStatisticsTest {
    static LensRecord lens(String image, List<Double> fractions) {
        return LensRecord.of(image, "dog", "dog", "first-subword", 12, 12, List.of(0, 1, 13), fractions, null);
    }

    @Test
    void bestLayerIsTheFirstMaximumAndTheStatisticsAverageOverImages() {
        LensRecord a = lens("a", List.of(0.0, 0.2, 0.5, 0.5));
        LensRecord b = lens("b", List.of(0.1, 0.3, 0.2, 0.0));
        assertEquals(2, a.bestLayer());
        assertEquals(1, b.bestLayer());
        LensStatistics s = LensStatistics.compute(List.of(a, b));
        assertEquals(2, s.images());
        assertEquals(4, s.layers());
        assertEquals(0.4, s.bestFraction().mean(), 1e-15);
        assertEquals(1.5, s.bestLayer().mean(), 1e-15);
        assertEquals(List.of(0.05, 0.25, 0.35, 0.25),
                s.perLayer().stream().map(m -> Math.round(m.mean() * 1e12) / 1e12).toList());
    }

    @Test
    void recordsWithDifferentLayerCountsAreAnError() {
        assertThrows(VlmscopeException.class, () -> LensStatistics.compute(List.of(
                lens("a", List.of(0.0, 0.2)), lens("b", List.of(0.0, 0.2, 0.1)))));
    }

    @Test
    void aRecordWhoseBestLayerDisagreesWithItsFractionsIsRefused() {
        assertThrows(IllegalArgumentException.class, () -> new LensRecord("a", "dog", "dog", "r", 2, 2, List.of(0),
                List.of(0.1, 0.2), 0, 0.2, null));
        assertThrows(IllegalArgumentException.class, () -> lens("a", List.of()).bestLayer());
    }
}
