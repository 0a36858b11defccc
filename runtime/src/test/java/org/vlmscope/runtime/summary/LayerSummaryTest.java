package org.vlmscope.runtime.summary;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

class LayerSummaryTest {
    /** Three positions of width 2: visual, visual, text; values chosen so norms and cosines are exact by hand. */
    @Test
    void normsPerKindOfPositionAndCosineAtTheFinalPosition() {
        float[] embed = {1, 0, 0, 1, 1, 0};
        float[] layer0 = {3, 4, 6, 8, 0, 2};    // norms 5, 10 | 2; final (0,2) vs (1,0): cos 0
        float[] layer1 = {0, 1, 0, 3, -3, -3};  // norms 1, 3 | sqrt(18); final (-3,-3) vs (0,2): cos -1/sqrt(2)
        boolean[] visual = {true, true, false};
        List<LayerSummary.Row> rows = LayerSummary.compute(List.of(embed, layer0, layer1), 2, visual);
        assertEquals(2, rows.size());
        assertEquals(new LayerSummary.Row(0, 7.5, 2, 0), rows.get(0));
        LayerSummary.Row r1 = rows.get(1);
        assertEquals(1, r1.layer());
        assertEquals(2, r1.visualNorm(), 1e-12);
        assertEquals(Math.sqrt(18), r1.textNorm(), 1e-12);
        assertEquals(-1 / Math.sqrt(2), r1.finalCosine(), 1e-12);
    }

    @Test
    void textOnlyPromptHasNoVisualNorm() {
        List<LayerSummary.Row> rows = LayerSummary.compute(List.of(new float[] {1, 0}, new float[] {0, 2}), 2,
                new boolean[] {false});
        assertTrue(Double.isNaN(rows.get(0).visualNorm()));
        String[] lines = LayerSummary.format(rows).split("\n");
        assertEquals(2, lines.length);
        assertEquals(List.of("0", "-", "2.0000", "0.0000"), List.of(lines[1].trim().split("\\s+")));
    }

    @Test
    void visualPositionsAreTheImageTokens() {
        assertArrayEquals(new boolean[] {false, true, true, false},
                LayerSummary.visualPositions(new long[] {1, 1000, 1000, 5}, 1000));
    }
}
