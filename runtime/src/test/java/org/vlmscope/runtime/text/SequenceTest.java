package org.vlmscope.runtime.text;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.vlmscope.core.VlmscopeException;
import org.vlmscope.runtime.image.TokenGrid;

class SequenceTest {
    private static final long IMG = 99;

    /** BOS, two text ids, the placeholder, two text ids; six visual tokens on a grid three wide (two rows). */
    private final Sequence small = Sequence.expand(new long[] {1, 5, 6, IMG, 7, 8}, IMG, 6, 3);

    @Test
    void expansionPutsTheVisualTokensWhereThePlaceholderWas() {
        assertArrayEquals(new long[] {1, 5, 6, IMG, IMG, IMG, IMG, IMG, IMG, 7, 8}, small.ids());
        assertEquals(11, small.length());
        assertEquals(3, small.start());
        assertEquals(6, small.visualTokens());
        assertEquals(2, small.gridHeight());
        assertArrayEquals(new int[] {3, 4, 5, 6, 7, 8}, small.visualPositions());
        assertArrayEquals(new int[] {9, 10}, small.textPositionsAfterImage());
        assertEquals(10, small.lastPosition());
    }

    @Test
    void visualIndexPositionAndCellMapBothWays() {
        assertEquals(3, small.position(0));
        assertEquals(8, small.position(5));
        assertEquals(new Sequence.Cell(0, 0), small.cell(0));
        assertEquals(new Sequence.Cell(0, 2), small.cell(2));
        assertEquals(new Sequence.Cell(1, 0), small.cell(3));
        assertEquals(new Sequence.Cell(1, 1), small.cell(4));
        assertEquals(5, small.visualIndex(1, 2));
        assertEquals(6, small.position(1, 0));
        assertEquals(4, small.visualIndex(7));
        for (int k = 0; k < 6; k++) {
            Sequence.Cell c = small.cell(k);
            assertEquals(k, small.visualIndex(c.row(), c.col()));
            assertEquals(k, small.visualIndex(small.position(k)));
        }
        assertFalse(small.isVisual(2));
        assertTrue(small.isVisual(3));
        assertTrue(small.isVisual(8));
        assertFalse(small.isVisual(9));
    }

    /** LLaVA-1.5: 576 tokens on a 24x24 grid after {@code <s> ▁US ER : ▁}, so they start at position 5. */
    @Test
    void llavaGridIsRowMajor() {
        long[] prompt = new long[20];
        prompt[0] = 1;
        prompt[5] = 32000;
        Sequence s = Sequence.expand(prompt, 32000, 576, 24);
        assertEquals(595, s.length());
        assertEquals(5, s.position(0));
        assertEquals(new Sequence.Cell(0, 23), s.cell(23));
        assertEquals(28, s.position(23));
        assertEquals(new Sequence.Cell(1, 0), s.cell(24));
        assertEquals(29, s.position(1, 0));
        assertEquals(new Sequence.Cell(12, 12), s.cell(300));
        assertEquals(305, s.position(12, 12));
        assertEquals(new Sequence.Cell(23, 23), s.cell(575));
        assertEquals(580, s.position(575));
        assertEquals(575, s.visualIndex(580));
        assertEquals(552, s.visualIndex(23, 0));
        assertArrayEquals(new int[] {581, 582, 583, 584, 585, 586, 587, 588, 589, 590, 591, 592, 593, 594},
                s.textPositionsAfterImage());
        assertEquals(594, s.lastPosition());
    }

    @Test
    void outOfRangeIndicesAreRefused() {
        assertThrows(IllegalArgumentException.class, () -> small.position(6));
        assertThrows(IllegalArgumentException.class, () -> small.position(-1));
        assertThrows(IllegalArgumentException.class, () -> small.cell(6));
        assertThrows(IllegalArgumentException.class, () -> small.visualIndex(2, 0));
        assertThrows(IllegalArgumentException.class, () -> small.visualIndex(0, 3));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> small.visualIndex(9));
        assertTrue(e.getMessage().contains("3-8"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> new Sequence(new long[10], 0, 6, 4));
        assertThrows(IllegalArgumentException.class, () -> new Sequence(new long[10], 5, 6, 3));
    }

    @Test
    void exactlyOnePlaceholderIsExpanded() {
        VlmscopeException none = assertThrows(VlmscopeException.class,
                () -> Sequence.expand(new long[] {1, 5, 6}, IMG, 6, 3));
        assertTrue(none.getMessage().contains("holds 0 image placeholders"), none.getMessage());
        VlmscopeException two = assertThrows(VlmscopeException.class,
                () -> Sequence.expand(new long[] {1, IMG, 6, IMG}, IMG, 6, 3));
        assertTrue(two.getMessage().contains("holds 2 image placeholders"), two.getMessage());
    }

    @Test
    void idsAreCopiedAndComparedByContent() {
        long[] ids = small.ids();
        ids[0] = 42;
        assertEquals(1, small.ids()[0]);
        Sequence same = Sequence.expand(new long[] {1, 5, 6, IMG, 7, 8}, IMG, 6, 3);
        assertEquals(small, same);
        assertEquals(small.hashCode(), same.hashCode());
        assertNotEquals(small, Sequence.expand(new long[] {1, 5, 6, IMG, 7, 9}, IMG, 6, 3));
        assertNotEquals(small, Sequence.expand(new long[] {1, 5, 6, IMG, 7, 8}, IMG, 6, 2));
        assertEquals("Sequence[11 ids, visual tokens 3-8 on a 2x3 grid]", small.toString());
    }

    /**
     * Two placeholders, two grids (2x3 and 1x2): {@code [1, 5, IMG, 6, 7, IMG, 8]} becomes 1, 5, six visual tokens
     * at 2-7, 6, 7 at 8-9, two visual tokens at 10-11, 8 at 12.
     */
    @Test
    void eachPlaceholderExpandsToItsOwnImagesGrid() {
        Sequence two = Sequence.expand(new long[] {1, 5, IMG, 6, 7, IMG, 8}, IMG,
                List.of(new TokenGrid(2, 3), new TokenGrid(1, 2)));
        assertArrayEquals(new long[] {1, 5, IMG, IMG, IMG, IMG, IMG, IMG, 6, 7, IMG, IMG, 8}, two.ids());
        assertEquals(List.of(new Sequence.ImageRun(2, new TokenGrid(2, 3)), new Sequence.ImageRun(10,
                new TokenGrid(1, 2))), two.images());
        Sequence.ImageRun second = two.images().get(1);
        assertArrayEquals(new int[] {10, 11}, second.positions());
        assertEquals(new Sequence.Cell(0, 1), second.cell(1));
        assertEquals(11, second.position(0, 1));
        assertEquals(5, two.images().get(0).position(1, 0));
        assertTrue(two.isVisual(11));
        assertFalse(two.isVisual(8));
        assertEquals(two, Sequence.ofExpanded(two.ids(), IMG, List.of(new TokenGrid(2, 3), new TokenGrid(1, 2))));
        assertEquals("Sequence[13 ids, visual tokens 2-7 on a 2x3 grid, 10-11 on a 1x2 grid]", two.toString());
        // A one-image question has no single answer on two images.
        IllegalStateException e = assertThrows(IllegalStateException.class, two::start);
        assertTrue(e.getMessage().contains("2 images"), e.getMessage());
        assertThrows(IllegalStateException.class, () -> two.cell(0));
    }

    @Test
    void placeholdersMustMatchTheGrids() {
        VlmscopeException e = assertThrows(VlmscopeException.class, () -> Sequence.expand(new long[] {1, IMG, 6},
                IMG, List.of(new TokenGrid(2, 3), new TokenGrid(1, 2))));
        assertTrue(e.getMessage().contains("holds 1 image placeholders") && e.getMessage().contains("exactly 2"),
                e.getMessage());
        e = assertThrows(VlmscopeException.class, () -> Sequence.ofExpanded(new long[] {IMG, IMG, 5, IMG}, IMG,
                List.of(new TokenGrid(1, 2), new TokenGrid(1, 2))));
        assertTrue(e.getMessage().contains("runs of [2, 1]") && e.getMessage().contains("[2, 2]"), e.getMessage());
    }
}
