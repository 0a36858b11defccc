package org.vlmscope.experiments.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.vlmscope.core.VlmscopeException;
import org.vlmscope.experiments.records.Answer;
import org.vlmscope.experiments.records.KnockoutRecord;

class Table2Test {
    private static final Answer ANY = new Answer(" dog", List.of(11203L));

    static KnockoutRecord knock(String image, String scenario, String window, int first, int last, boolean base,
            boolean after, double pBefore, double pAfter) {
        return new KnockoutRecord(image, "What is on the bed?", "dog", scenario, window, first, last, 5, 1, base,
                after, pBefore, pAfter, ANY, ANY);
    }

    private static List<KnockoutRecord> records() {
        return List.of(
                knock("1", "O->last", "all", 0, 31, true, false, 0.8, 0.2),
                knock("1", "O->last", "early", 0, 9, true, true, 0.8, 0.4),
                knock("2", "O->last", "early", 0, 9, true, false, 0.5, 0.5),
                knock("3", "O->last", "early", 0, 9, false, false, 0.1, 0.1),
                knock("1", "X->y", "early", 0, 9, true, true, 0.5, 0.25),
                knock("1", "I-lvr->lvr", "mid", 11, 20, true, true, 0.8, 0.8));
    }

    @Test
    void ratiosAreOverImagesCorrectAtBaseline() {
        Table2 t = Table2.compute(records());
        assertEquals(List.of("O->last", "I-lvr->lvr", "X->y"), t.scenarios());
        assertEquals(List.of("early", "mid", "all"), t.windows().stream().map(Table2.Window::name).toList());
        assertEquals(1, t.baselineIncorrectRecords());

        Table2.Cell early = t.cell("O->last", "early");
        assertEquals(new Proportion(1, 2), early.accuracy());
        assertEquals(0.5, early.accuracyRatio(), 1e-15);
        // probability ratios 0.5 and 1.0: mean 0.75, se 0.25, t(1, 0.975) = 12.7062047
        assertEquals(0.75, early.probabilityRatio().mean(), 1e-15);
        assertEquals(0.75 + 12.706204736174707 * 0.25, early.probabilityRatio().ci95().upper(), 1e-9);
        assertEquals(0.25, t.cell("O->last", "all").probabilityRatio().mean(), 1e-15);
        assertNull(t.cell("O->last", "mid"));
    }

    @Test
    void slidingWindowsAreOrderedByTheirLayers() {
        Table2 t = Table2.compute(List.of(knock("1", "O->last", "2-11", 2, 11, true, true, 1, 1),
                knock("1", "O->last", "0-9", 0, 9, true, true, 1, 1),
                knock("1", "O->last", "1-10", 1, 10, true, true, 1, 1)));
        assertEquals(List.of("0-9", "1-10", "2-11"), t.windows().stream().map(Table2.Window::name).toList());
    }

    @Test
    void aWindowNameWithTwoLayerRangesIsAnError() {
        VlmscopeException e = assertThrows(VlmscopeException.class, () -> Table2.compute(List.of(
                knock("1", "O->last", "early", 0, 9, true, true, 1, 1),
                knock("2", "O->last", "early", 1, 10, true, true, 1, 1))));
        assertTrue(e.getMessage().contains("'early' covers layers 0-9"), e.getMessage());
    }
}
