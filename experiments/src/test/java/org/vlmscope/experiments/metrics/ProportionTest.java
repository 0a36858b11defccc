package org.vlmscope.experiments.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

class ProportionTest {
    /** Newcombe (1998), Stat. Med. 17:857, Table I, method 3 (score interval without continuity correction). */
    @Test
    void wilsonIntervalsMatchNewcombesPublishedExamples() {
        assertInterval(0.2553, 0.3662, new Proportion(81, 263).wilson95());
        assertInterval(0.0624, 0.1605, new Proportion(15, 148).wilson95());
        assertInterval(0.0000, 0.1611, new Proportion(0, 20).wilson95());
        assertInterval(0.0061, 0.1718, new Proportion(1, 29).wilson95());
    }

    @Test
    void atZeroSuccessesTheUpperBoundIsZSquaredOverNPlusZSquared() {
        double z2 = 1.959963984540054 * 1.959963984540054;
        assertEquals(z2 / (39 + z2), new Proportion(0, 39).wilson95().upper(), 1e-12);
        assertEquals(1 - z2 / (39 + z2), new Proportion(39, 39).wilson95().lower(), 1e-12);
    }

    @Test
    void noTrialsHasNoEstimate() {
        assertTrue(Double.isNaN(new Proportion(0, 0).fraction()));
        assertTrue(Double.isNaN(new Proportion(0, 0).wilson95().lower()));
    }

    @Test
    void theMeanHasAStudentTInterval() {
        // 1,2,3,4: mean 2.5, s = sqrt(5/3), se = s/2, t(3, 0.975) = 3.182446305
        MeanEstimate m = MeanEstimate.of(List.of(1.0, 2.0, 3.0, 4.0));
        double half = 3.182446305284263 * Math.sqrt(5.0 / 3.0) / 2;
        assertEquals(2.5, m.mean(), 1e-15);
        assertEquals(2.5 - half, m.ci95().lower(), 1e-9);
        assertEquals(2.5 + half, m.ci95().upper(), 1e-9);
        assertTrue(Double.isNaN(MeanEstimate.of(List.of(3.0)).ci95().upper()));
    }

    private static void assertInterval(double lower, double upper, Interval actual) {
        assertEquals(lower, actual.lower(), 5e-5, "lower");
        assertEquals(upper, actual.upper(), 5e-5, "upper");
    }
}
