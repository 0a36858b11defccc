package org.vlmscope.experiments.dataset.geometry;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

class CenterCropTest {
    @Test
    void landscapePortraitSquareAndOdd() {
        assertEquals(new CenterCrop(80, 0, 480), CenterCrop.of(640, 480));
        assertEquals(new CenterCrop(0, 62, 375), CenterCrop.of(375, 500));
        assertEquals(new CenterCrop(0, 0, 336), CenterCrop.of(336, 336));
        // (641 - 480) / 2 = 80.5, rounded down.
        assertEquals(new CenterCrop(80, 0, 480), CenterCrop.of(641, 480));
    }
}
