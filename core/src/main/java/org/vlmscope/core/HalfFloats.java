package org.vlmscope.core;

/**
 * IEEE 754 binary16 (fp16) and bfloat16 conversions. Narrowing rounds to nearest, ties to even, as
 * PyTorch and ONNX Runtime do, so weights converted here match weights converted there bit for bit.
 */
public final class HalfFloats {
    private static final int FLOAT_EXPONENT_MASK = 0x7f80_0000;
    private static final int FP16_INFINITY = 0x7c00;
    /** Halfway between fp16's largest finite value 65504 and 65536; from here on rounding gives infinity. */
    private static final int FP16_OVERFLOW_THRESHOLD = 0x477f_f000;
    /** 2^-14, the smallest normal fp16 value. */
    private static final int FP16_MIN_NORMAL = 0x3880_0000;
    private static final int FP16_EXPONENT_BIAS = 15;
    private static final int FLOAT_EXPONENT_BIAS = 127;

    private HalfFloats() {
    }

    public static float fp16ToFloat(short half) {
        int bits = half & 0xffff;
        int sign = (bits & 0x8000) << 16;
        int exponent = (bits >>> 10) & 0x1f;
        int mantissa = bits & 0x3ff;
        if (exponent == 0) {
            // Zero or subnormal: mantissa x 2^-24, exact in float.
            float magnitude = mantissa * 0x1p-24f;
            return sign == 0 ? magnitude : -magnitude;
        }
        if (exponent == 0x1f) {
            // Infinity, or NaN with its payload kept in the top mantissa bits.
            return Float.intBitsToFloat(sign | FLOAT_EXPONENT_MASK | (mantissa << 13));
        }
        int floatExponent = exponent - FP16_EXPONENT_BIAS + FLOAT_EXPONENT_BIAS;
        return Float.intBitsToFloat(sign | (floatExponent << 23) | (mantissa << 13));
    }

    public static short floatToFp16(float value) {
        int bits = Float.floatToRawIntBits(value);
        int sign = (bits >>> 16) & 0x8000;
        int magnitude = bits & 0x7fff_ffff;
        if (magnitude > FLOAT_EXPONENT_MASK) {
            // NaN: keep the top payload bits and force the quiet bit, so a payload that lived
            // only in the dropped low bits cannot turn the NaN into infinity.
            return (short) (sign | FP16_INFINITY | 0x200 | ((magnitude >>> 13) & 0x3ff));
        }
        if (magnitude >= FP16_OVERFLOW_THRESHOLD) {
            return (short) (sign | FP16_INFINITY);
        }
        if (magnitude < FP16_MIN_NORMAL) {
            // Subnormal range: the result is round(value * 2^24); the product is exact in double
            // and rint rounds ties to even. A result of 1024 is the smallest normal, encoded alike.
            double scaled = Float.intBitsToFloat(magnitude) * 0x1p24;
            return (short) (sign | (int) Math.rint(scaled));
        }
        int exponent = (magnitude >>> 23) - FLOAT_EXPONENT_BIAS + FP16_EXPONENT_BIAS;
        int mantissa = magnitude & 0x7f_ffff;
        int half = (exponent << 10) | (mantissa >>> 13);
        int dropped = mantissa & 0x1fff;
        if (dropped > 0x1000 || (dropped == 0x1000 && (half & 1) == 1)) {
            // A carry out of the mantissa correctly bumps the exponent.
            half++;
        }
        return (short) (sign | half);
    }

    public static float bf16ToFloat(short bf16) {
        return Float.intBitsToFloat((bf16 & 0xffff) << 16);
    }

    public static short floatToBf16(float value) {
        int bits = Float.floatToRawIntBits(value);
        if ((bits & 0x7fff_ffff) > FLOAT_EXPONENT_MASK) {
            // NaN: truncating could clear every payload bit left and give infinity.
            return (short) ((bits >>> 16) | 0x0040);
        }
        // Adding 0x7fff plus the lowest kept bit rounds to nearest with ties to even; a carry
        // into the exponent is the correct rounding, up to infinity at the top of the range.
        int lowestKeptBit = (bits >>> 16) & 1;
        return (short) ((bits + 0x7fff + lowestKeptBit) >>> 16);
    }
}
