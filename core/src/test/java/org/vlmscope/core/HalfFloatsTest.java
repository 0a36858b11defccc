package org.vlmscope.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.SplittableRandom;
import java.util.function.IntToDoubleFunction;
import org.junit.jupiter.api.Test;

/**
 * Checks the conversions against an independent reference: the nearest representable value is
 * found by binary search in a table of every non-negative half value (decoded with double
 * arithmetic), with ties going to the even bit pattern.
 */
class HalfFloatsTest {

    /** Non-negative fp16 patterns 0x0000..0x7c00 decoded independently; 0x7c00 (infinity) stands in as 2^16. */
    private static final double[] FP16_VALUES = table(0x7c00, HalfFloatsTest::decodeFp16);
    /** Non-negative bf16 patterns 0x0000..0x7f80; 0x7f80 (infinity) stands in as 2^128. */
    private static final double[] BF16_VALUES = table(0x7f80, HalfFloatsTest::decodeBf16);

    private static double[] table(int infinityPattern, IntToDoubleFunction decode) {
        double[] values = new double[infinityPattern + 1];
        for (int bits = 0; bits <= infinityPattern; bits++) {
            values[bits] = decode.applyAsDouble(bits);
        }
        return values;
    }

    /** fp16 from its definition: (-1)^s x 2^(e-15) x 1.m, subnormals 2^-14 x 0.m. */
    private static double decodeFp16(int bits) {
        int exponent = (bits >>> 10) & 0x1f;
        int mantissa = bits & 0x3ff;
        double magnitude = exponent == 0
                ? mantissa / 1024.0 * Math.pow(2, -14)
                : (1 + mantissa / 1024.0) * Math.pow(2, exponent - 15);
        return (bits & 0x8000) != 0 ? -magnitude : magnitude;
    }

    /** bf16 from its definition: 8 exponent bits (bias 127), 7 mantissa bits. */
    private static double decodeBf16(int bits) {
        int exponent = (bits >>> 7) & 0xff;
        int mantissa = bits & 0x7f;
        double magnitude = exponent == 0
                ? mantissa / 128.0 * Math.pow(2, -126)
                : (1 + mantissa / 128.0) * Math.pow(2, exponent - 127);
        return (bits & 0x8000) != 0 ? -magnitude : magnitude;
    }

    /** The nearest pattern to |x| (ties to the even pattern), sign added; beyond the table is infinity. */
    private static int nearest(double[] values, float x) {
        int sign = x < 0 || (x == 0 && 1 / x < 0) ? 0x8000 : 0;
        double magnitude = Math.abs((double) x);
        int last = values.length - 1;
        if (magnitude >= values[last]) {
            return sign | last;
        }
        int index = Arrays.binarySearch(values, magnitude);
        if (index >= 0) {
            return sign | index;
        }
        int above = -index - 1;
        int below = above - 1;
        double distanceBelow = magnitude - values[below];
        double distanceAbove = values[above] - magnitude;
        int chosen;
        if (distanceBelow < distanceAbove) {
            chosen = below;
        } else if (distanceAbove < distanceBelow) {
            chosen = above;
        } else {
            chosen = (below & 1) == 0 ? below : above;
        }
        return sign | chosen;
    }

    @Test
    void decodingMatchesTheDefinitionForEveryFiniteFp16() {
        for (int bits = 0; bits < 0x10000; bits++) {
            if ((bits & 0x7c00) == 0x7c00) {
                continue;
            }
            assertEquals(decodeFp16(bits), HalfFloats.fp16ToFloat((short) bits), 0.0, Integer.toHexString(bits));
        }
    }

    @Test
    void everyFp16PatternRoundTripsThroughFloat() {
        for (int bits = 0; bits < 0x10000; bits++) {
            float value = HalfFloats.fp16ToFloat((short) bits);
            int back = HalfFloats.floatToFp16(value) & 0xffff;
            boolean nan = (bits & 0x7c00) == 0x7c00 && (bits & 0x3ff) != 0;
            if (nan) {
                assertTrue(Float.isNaN(value), Integer.toHexString(bits));
                assertTrue((back & 0x7c00) == 0x7c00 && (back & 0x3ff) != 0, "NaN stays NaN: " + Integer.toHexString(bits));
                assertEquals(bits & 0x8000, back & 0x8000, "NaN keeps its sign");
            } else {
                assertEquals(bits, back, Integer.toHexString(bits));
            }
        }
    }

    @Test
    void infinitiesAndZerosKeepTheirSign() {
        assertEquals(Float.POSITIVE_INFINITY, HalfFloats.fp16ToFloat((short) 0x7c00));
        assertEquals(Float.NEGATIVE_INFINITY, HalfFloats.fp16ToFloat((short) 0xfc00));
        assertEquals(0x7c00, HalfFloats.floatToFp16(Float.POSITIVE_INFINITY) & 0xffff);
        assertEquals(0xfc00, HalfFloats.floatToFp16(Float.NEGATIVE_INFINITY) & 0xffff);
        assertEquals(0x8000, HalfFloats.floatToFp16(-0.0f) & 0xffff);
        assertEquals(0x8000, HalfFloats.floatToBf16(-0.0f) & 0xffff);
        assertEquals(0xff80, HalfFloats.floatToBf16(Float.NEGATIVE_INFINITY) & 0xffff);
    }

    @Test
    void handComputedFp16Values() {
        assertEquals(0x3c00, HalfFloats.floatToFp16(1.0f) & 0xffff);
        assertEquals(0xc000, HalfFloats.floatToFp16(-2.0f) & 0xffff);
        assertEquals(0x7bff, HalfFloats.floatToFp16(65504f) & 0xffff);
        assertEquals(0x7bff, HalfFloats.floatToFp16(65519.996f) & 0xffff, "just below the overflow tie");
        assertEquals(0x7c00, HalfFloats.floatToFp16(65520f) & 0xffff, "the tie with 65536 overflows");
        assertEquals(0x0001, HalfFloats.floatToFp16(0x1p-24f) & 0xffff, "smallest subnormal");
        assertEquals(0x0000, HalfFloats.floatToFp16(0x1p-25f) & 0xffff, "half the smallest subnormal ties to 0");
        assertEquals(0x0001, HalfFloats.floatToFp16(0x1.8p-25f) & 0xffff);
        assertEquals(0x3555, HalfFloats.floatToFp16(1f / 3f) & 0xffff);
    }

    @Test
    void handComputedBf16Values() {
        assertEquals(0x3f80, HalfFloats.floatToBf16(1.0f) & 0xffff);
        // pi = 0x40490fdb: the dropped half 0x0fdb is below 0x8000, so it truncates.
        assertEquals(0x4049, HalfFloats.floatToBf16((float) Math.PI) & 0xffff);
        // 0x3f808000 lies halfway between 0x3f80 and 0x3f81: ties to even 0x3f80.
        assertEquals(0x3f80, HalfFloats.floatToBf16(Float.intBitsToFloat(0x3f808000)) & 0xffff);
        assertEquals(0x3f82, HalfFloats.floatToBf16(Float.intBitsToFloat(0x3f818000)) & 0xffff);
        assertEquals(0x7f80, HalfFloats.floatToBf16(Float.MAX_VALUE) & 0xffff, "rounds up to infinity");
        assertEquals(1.0f, HalfFloats.bf16ToFloat((short) 0x3f80));
    }

    @Test
    void nanStaysNanWhateverItsPayload() {
        int[] nanPatterns = {0x7fc00000, 0x7f800001, 0xff800001, 0x7fffffff, 0x7f802000, 0xffc00000};
        for (int pattern : nanPatterns) {
            float nan = Float.intBitsToFloat(pattern);
            assertTrue(Float.isNaN(HalfFloats.fp16ToFloat(HalfFloats.floatToFp16(nan))), Integer.toHexString(pattern));
            assertTrue(Float.isNaN(HalfFloats.bf16ToFloat(HalfFloats.floatToBf16(nan))), Integer.toHexString(pattern));
        }
    }

    @Test
    void fp16RoundingMatchesTheNearestValueForRandomFloats() {
        SplittableRandom random = new SplittableRandom(16);
        for (int i = 0; i < 400_000; i++) {
            // Half the samples from all bit patterns, half from the fp16 range where rounding is subtle.
            float x = i % 2 == 0
                    ? Float.intBitsToFloat(random.nextInt())
                    : (float) (random.nextDouble(-1, 1) * Math.pow(2, random.nextInt(-26, 17)));
            if (Float.isNaN(x)) {
                continue;
            }
            assertEquals(nearest(FP16_VALUES, x), HalfFloats.floatToFp16(x) & 0xffff, () -> "x=" + x);
        }
    }

    @Test
    void fp16TiesBetweenEveryAdjacentPairGoToEven() {
        for (int below = 0; below < 0x7c00; below++) {
            // Exact in float: the midpoint needs 12 significant bits.
            float midpoint = (float) ((FP16_VALUES[below] + FP16_VALUES[below + 1]) / 2);
            int even = (below & 1) == 0 ? below : below + 1;
            assertEquals(even, HalfFloats.floatToFp16(midpoint) & 0xffff, "tie above " + Integer.toHexString(below));
            assertEquals(0x8000 | even, HalfFloats.floatToFp16(-midpoint) & 0xffff);
        }
    }

    @Test
    void everyBf16PatternRoundTripsThroughFloat() {
        for (int bits = 0; bits < 0x10000; bits++) {
            float value = HalfFloats.bf16ToFloat((short) bits);
            int back = HalfFloats.floatToBf16(value) & 0xffff;
            boolean nan = (bits & 0x7f80) == 0x7f80 && (bits & 0x7f) != 0;
            if (nan) {
                assertTrue(Float.isNaN(value));
                assertTrue((back & 0x7f80) == 0x7f80 && (back & 0x7f) != 0, Integer.toHexString(bits));
            } else {
                assertEquals(bits, back, Integer.toHexString(bits));
                if ((bits & 0x7f80) != 0x7f80) {
                    assertEquals(decodeBf16(bits), value, 0.0, Integer.toHexString(bits));
                }
            }
        }
    }

    @Test
    void bf16RoundingMatchesTheNearestValueForRandomFloats() {
        SplittableRandom random = new SplittableRandom(17);
        for (int i = 0; i < 400_000; i++) {
            float x = Float.intBitsToFloat(random.nextInt());
            if (Float.isNaN(x)) {
                continue;
            }
            assertEquals(nearest(BF16_VALUES, x), HalfFloats.floatToBf16(x) & 0xffff, () -> "x=" + x);
        }
    }

    @Test
    void bf16TiesBetweenEveryAdjacentPairGoToEven() {
        for (int below = 0; below < 0x7f80; below++) {
            float midpoint = (float) ((BF16_VALUES[below] + BF16_VALUES[below + 1]) / 2);
            int even = (below & 1) == 0 ? below : below + 1;
            assertEquals(even, HalfFloats.floatToBf16(midpoint) & 0xffff, "tie above " + Integer.toHexString(below));
        }
    }
}
