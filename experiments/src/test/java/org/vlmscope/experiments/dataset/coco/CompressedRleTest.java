package org.vlmscope.experiments.dataset.coco;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.vlmscope.experiments.dataset.geometry.PixelMask;

/** Strings encoded by hand with pycocotools' rleToString rules (5-bit groups, '0' + group, deltas from index 3). */
public class CompressedRleTest {
    /** The 10x10 top-left block of a 40x40 image, column-major; see {@link #blockCounts()}. */
    public static final String BLOCK = "0:n0" + "0".repeat(17) + "`U1";

    @Test
    void smallValuesAreOneCharacterEach() {
        // 5, 3, 2 as they are; the fourth is stored as 4 - 3 = 1.
        assertArrayEquals(new long[] {5, 3, 2, 4}, CompressedRle.decode("5321"));
    }

    @Test
    void largeAndNegativeDeltasTakeSeveralGroups() {
        // 30 = group 30 (0x10 set, so a second group 0 follows): "n0". The fourth, 4 - 30 = -26: groups 6 (more)
        // and 31 (sign): "VO".
        assertArrayEquals(new long[] {5, 30, 2, 4}, CompressedRle.decode("5n02VO"));
    }

    @Test
    void blockOfTenColumns() {
        assertArrayEquals(blockCounts(), CompressedRle.decode(BLOCK));
        PixelMask mask = new Segmentation.Rle(40, 40, blockCounts()).toMask();
        assertEquals(100, mask.count());
        assertTrue(mask.get(0, 0) && mask.get(9, 9) && !mask.get(10, 0) && !mask.get(0, 10));
    }

    @Test
    void malformedStringsAreRefused() {
        assertThrows(IllegalArgumentException.class, () -> CompressedRle.decode("5 3"));
        // 'n' promises another group that never comes.
        assertThrows(IllegalArgumentException.class, () -> CompressedRle.decode("5n"));
    }

    /** 0 unset, then per column 0..8: 10 set, 30 unset; column 9: 10 set, then the rest (30 + 30 x 40) unset. */
    public static long[] blockCountsForTests() {
        return blockCounts();
    }

    static long[] blockCounts() {
        long[] counts = new long[21];
        counts[0] = 0;
        for (int c = 0; c < 10; c++) {
            counts[1 + 2 * c] = 10;
            counts[2 + 2 * c] = 30;
        }
        counts[20] = 30 + 30 * 40;
        return counts;
    }
}
