package org.vlmscope.experiments.dataset;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.vlmscope.runtime.image.RgbImage;

class NoiseMaskTest {
    /** An 84x42 image whose pixel (x, y) has colour (x, y, 7): every pixel tells where it came from. */
    private static final RgbImage IMAGE = gradient(84, 42);

    @Test
    void codeReusesOneBlockInEveryCellAndLeavesTheRestAlone() {
        // Crop [21, 0, 42] on a 4x4 grid: 10 px cells, pixels 40-41 in no cell. Cells 0 and 5.
        DatasetRecord r = record("code", new int[] {0, 5});
        RgbImage out = NoiseMask.apply(IMAGE, r, 1);
        assertEquals(42, out.width());
        int differing = 0;
        for (int y = 0; y < 42; y++) {
            for (int x = 0; x < 42; x++) {
                boolean inCell = x < 10 && y < 10 || x >= 10 && x < 20 && y >= 10 && y < 20;
                for (int c = 0; c < 3; c++) {
                    if (!inCell) {
                        assertEquals(IMAGE.sample(x + 21, y, c), out.sample(x, y, c), x + "," + y);
                    } else {
                        assertTrue(out.sample(x, y, c) <= 254);
                    }
                    if (x < 10 && y < 10) {
                        assertEquals(out.sample(x, y, c), out.sample(x + 10, y + 10, c));
                        differing += out.sample(x, y, c) != IMAGE.sample(x + 21, y, c) ? 1 : 0;
                    }
                }
            }
        }
        assertTrue(differing > 250, "the block is noise, not the image: " + differing + " of 300 differ");
    }

    @Test
    void paperDrawsEachExactCellAfresh() {
        // Exact cells of 10.5 px: cell 3 spans pixels 31..41 horizontally, rows 0..10.
        DatasetRecord r = record("paper", new int[] {0, 3});
        RgbImage out = NoiseMask.apply(IMAGE, r, 1);
        int same = 0;
        for (int y = 0; y < 10; y++) {
            for (int x = 0; x < 10; x++) {
                same += out.sample(x, y, 0) == out.sample(x + 31, y, 0) ? 1 : 0;
            }
        }
        assertTrue(same < 10, "cells 0 and 3 share noise at " + same + " of 100 pixels");
        int changedRight = 0;
        for (int y = 0; y <= 10; y++) {
            changedRight += out.sample(41, y, 2) != 7 ? 1 : 0;
        }
        assertTrue(changedRight > 5, "pixel column 41 belongs to cell 3");
        assertEquals(IMAGE.sample(21 + 20, 5, 0), out.sample(20, 5, 0));
        for (int x = 0; x < 42; x++) {
            // Row 11 is below cells 0-3 (which end at 10.5, pixel 10 included).
            assertEquals(IMAGE.sample(21 + x, 11, 1), out.sample(x, 11, 1));
        }
    }

    @Test
    void seededPerImage() {
        DatasetRecord r = record("code", new int[] {6});
        assertEquals(NoiseMask.apply(IMAGE, r, 3), NoiseMask.apply(IMAGE, r, 3));
        assertNotEquals(NoiseMask.apply(IMAGE, r, 3), NoiseMask.apply(IMAGE, r, 4));
    }

    private static DatasetRecord record(String fidelity, int[] cells) {
        return new DatasetRecord(9, "9.jpg", 84, 42, true, null, 1L, 1L, "cat", 1500.0, new int[] {21, 0, 42}, 4,
                fidelity, cells, cells, cells);
    }

    private static RgbImage gradient(int width, int height) {
        byte[] rgb = new byte[width * height * 3];
        for (int y = 0; y < height; y++) {
            for (int x = 0; x < width; x++) {
                rgb[(y * width + x) * 3] = (byte) x;
                rgb[(y * width + x) * 3 + 1] = (byte) y;
                rgb[(y * width + x) * 3 + 2] = 7;
            }
        }
        return new RgbImage(width, height, rgb);
    }
}
