package org.vlmscope.experiments.run;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.vlmscope.core.BadArgumentException;
import org.vlmscope.experiments.dataset.DatasetRecord;
import org.vlmscope.runtime.text.Sequence;

/** The model-free parts of the runners, on hand-made cases: register tokens, sets, layer windows, scenarios. */
class TokenSetsAndWindowsTest {

    @Test
    void registerTokensAreAboveMeanPlusTwoUnbiasedStd() {
        // Nine norms of 1 and one of 10: mean 1.9, unbiased std sqrt(72.9 / 9) = 2.846, threshold 7.59.
        double[] norms = {1, 1, 1, 1, 10, 1, 1, 1, 1, 1};
        assertArrayEquals(new int[] {4}, RegisterTokens.select(norms));
        // 3 and 4 and 5 in a row: mean 4, std 1, threshold 6: none.
        assertArrayEquals(new int[0], RegisterTokens.select(new double[] {3, 4, 5}));
        assertArrayEquals(new double[] {5, 0}, RegisterTokens.norms(new float[] {9, 9, 3, 4, 0, 0}, 1, 2, 2));
    }

    @Test
    void setsComeFromTheRecordTheScoresAndTheSeed() {
        var e = new AblationSets.ImageEvidence("7", new int[] {5, 1}, new int[] {0, 1, 2, 5}, new int[] {0, 1, 2, 3, 5},
                new int[] {9}, new float[] {0.1f, 3f, 2f, 3f, -9f, 0f, 0f, 0f, 0f, 0f, 0f, 0f, 0f, 0f, 0f, 0f}, 16, 42);
        assertArrayEquals(new int[] {1, 5}, AblationSets.positions("object", e));
        assertArrayEquals(new int[] {0, 1, 2, 5}, AblationSets.positions("object+1", e));
        assertArrayEquals(new int[] {9}, AblationSets.positions("register", e));
        // The top three scores are 3 (index 1), 3 (index 3) and 2 (index 2); ties go to the lower index.
        assertArrayEquals(new int[] {1, 2, 3}, AblationSets.positions("ig-3", e));
        assertArrayEquals(new int[] {1}, AblationSets.positions("ig-1", e));
        int[] random = AblationSets.positions("random-5", e);
        assertEquals(5, Arrays.stream(random).distinct().filter(k -> k >= 0 && k < 16).count());
        assertArrayEquals(random, AblationSets.positions("random-5", e), "same seed, image and size: same draw");
        var other = new AblationSets.ImageEvidence("8", e.objectCells(), e.buffer1(), e.buffer2(), e.register(),
                e.gradientScores(), 16, 42);
        assertEquals(false, Arrays.equals(random, AblationSets.positions("random-5", other))
                && Arrays.equals(AblationSets.positions("random-10", e), AblationSets.positions("random-10", other)));
        // Larger than the grid: every visual token.
        assertEquals(16, AblationSets.positions("random-250", e).length);
        assertEquals(16, AblationSets.positions("ig-250", e).length);
    }

    @Test
    void setNamesAreChecked() {
        // Object, two buffers, register, and random and IG at seven sizes each.
        assertEquals(18, AblationSets.all().size());
        assertEquals(List.of("object", "ig-7"), AblationSets.parse("object, ig-7"));
        assertThrows(BadArgumentException.class, () -> AblationSets.parse("objects"));
        assertThrows(BadArgumentException.class, () -> AblationSets.parse("random-0"));
        assertThrows(BadArgumentException.class, () -> AblationSets.parse("object,object"));
        assertEquals(List.of(AblationTask.VQA, AblationTask.POLLING), AblationTask.parse("vqa,polling"));
        assertThrows(BadArgumentException.class, () -> AblationTask.parse("caption"));
    }

    @Test
    void windowsAreThePapersAt32LayersAndScaledElsewhere() {
        assertEquals(List.of(new LayerWindow("early", 0, 9), new LayerWindow("early-mid", 5, 14),
                new LayerWindow("mid", 11, 20), new LayerWindow("mid-late", 15, 24), new LayerWindow("late", 21, 31),
                new LayerWindow("all", 0, 31)), LayerWindow.named(null, 32));
        // 40 layers (LLaVA-1.5-13B): early 0..round(12.5)-1 = 0-12 (half rounds up), late round(26.25)=26..39.
        assertEquals(new LayerWindow("early", 0, 12), LayerWindow.named("early", 40).get(0));
        assertEquals(new LayerWindow("late", 26, 39), LayerWindow.named("late", 40).get(0));
        // 4 layers: every window keeps at least one layer.
        assertEquals(List.of(new LayerWindow("early", 0, 0), new LayerWindow("all", 0, 3)),
                LayerWindow.named("early,all", 4));
        assertEquals(List.of(new LayerWindow("0-1", 0, 1), new LayerWindow("1-2", 1, 2), new LayerWindow("2-3", 2, 3)),
                LayerWindow.sliding(2, 4));
        assertArrayEquals(new int[] {1, 2}, new LayerWindow("x", 1, 2).layers());
        assertThrows(BadArgumentException.class, () -> LayerWindow.sliding(5, 4));
        assertThrows(BadArgumentException.class, () -> LayerWindow.named("middle", 32));
    }

    @Test
    void scenariosOnAFourByFourGrid() {
        // BOS, two text ids, 16 visual tokens at positions 3..18, three text ids: last position 21.
        long[] ids = new long[22];
        Arrays.fill(ids, 3, 19, 99);
        Sequence seq = new Sequence(ids, 3, 16, 4);
        DatasetRecord r = new DatasetRecord(1, "f", 4, 4, true, null, null, null, "cat", null, new int[] {0, 0, 4}, 4,
                "paper", new int[] {5}, new int[] {0, 1, 2, 4, 5, 6, 8, 9, 10}, new int[] {0, 1, 2, 3});
        assertArrayEquals(new int[] {8}, KnockoutScenario.O_LAST.from(seq, r));
        assertArrayEquals(new int[] {21}, KnockoutScenario.O_LAST.to(seq));
        assertArrayEquals(new int[] {3, 4, 5, 6}, KnockoutScenario.O2_LAST.from(seq, r));
        assertArrayEquals(new int[] {6, 10, 14, 15, 16, 17, 18}, KnockoutScenario.IMAGE_BUT_O1_LAST.from(seq, r));
        // The last visual row: visual tokens 12..15 at positions 15..18.
        assertArrayEquals(new int[] {15, 16, 17, 18}, KnockoutScenario.O1_LVR.to(seq));
        assertArrayEquals(new int[] {3, 4, 5, 7, 8, 9, 11, 12, 13}, KnockoutScenario.O1_LVR.from(seq, r));
        assertArrayEquals(new int[] {3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14},
                KnockoutScenario.IMAGE_BUT_LVR_LVR.from(seq, r));
        assertEquals("I-(O+1)->last", KnockoutScenario.IMAGE_BUT_O1_LAST.label());
    }
}
