package org.vlmscope.exporter;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;
import org.vlmscope.exporter.config.RopeScaling;

/** Rotary inverse frequencies, against values worked out by hand from the published definitions. */
class RotaryTest {
    /** theta 10000, head_dim 4: 1/10000^(0/4) = 1 and 1/10000^(2/4) = 1/100. */
    @Test
    void inverseFrequenciesFollowThetaToTheMinusTwoJOverDim() {
        float[] inv = Rotary.inverseFrequencies(10000, 4);
        assertEquals(1.0f, inv[0]);
        assertEquals(0.01f, inv[1]);
    }

    /**
     * Llama 3.1 (factor 8, low 1, high 4, original context 8192): wavelengths 2 pi / f. Here theta 10000, head_dim
     * 8 gives f = 1, 0.1, 0.01, 0.001 with wavelengths 6.3, 62.8, 628, 6283. Take original context 16384 so the
     * low-frequency cut is 16384 / 1 = 16384 and the high-frequency cut 16384 / 4 = 4096: the first three are
     * short (kept), the last lies between the cuts: smooth = (16384 / 6283.19 - 1) / (4 - 1) = 0.53587, so
     * f = (1 - smooth) * 0.001 / 8 + smooth * 0.001 = 5.802e-5 + 5.3587e-4 = 5.939e-4.
     */
    @Test
    void llama3KeepsHighFrequenciesAndRampsTheMiddle() {
        float[] inv = Rotary.inverseFrequencies(10000, 8);
        RopeScaling s = new RopeScaling("llama3", 8, 1, 4, 16384);
        float[] scaled = Rotary.llama3(inv, s);
        assertEquals(inv[0], scaled[0]);
        assertEquals(inv[1], scaled[1]);
        assertEquals(inv[2], scaled[2]);
        assertEquals(5.939e-4, scaled[3], 5e-7);
    }

    /** Wavelength 6283 above the low-frequency cut 1024 / 1: the frequency is simply divided by the factor. */
    @Test
    void llama3DividesLongWavelengthsByTheFactor() {
        float[] inv = Rotary.inverseFrequencies(10000, 8);
        float[] scaled = Rotary.llama3(inv, new RopeScaling("llama3", 8, 1, 4, 1024));
        assertEquals(inv[3] / 8, scaled[3], 1e-12);
    }
}
