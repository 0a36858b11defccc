package org.vlmscope.core.vocab;

import org.vlmscope.core.DType;

/**
 * The attention scores that stand for "may not attend", per compute type. Hugging Face's eager attention masks
 * with the dtype's lowest finite value; a knockout uses -inf where the type has it in range of softmax (fp32) and
 * the lowest finite half otherwise, because -inf in fp16 arithmetic turns a fully masked row into NaN.
 */
public final class BlockedScore {
    /** The lowest finite IEEE half-precision value. */
    public static final float LOWEST_HALF = -65504f;

    private BlockedScore() {
    }

    /** The additive causal/padding mask's blocked value, as Hugging Face builds it. */
    public static double mask(DType compute) {
        return compute == DType.F16 ? LOWEST_HALF : -Float.MAX_VALUE;
    }

    /** The attention-bias value of a knocked-out query/key pair. */
    public static float knockout(DType compute) {
        return compute == DType.F16 ? LOWEST_HALF : Float.NEGATIVE_INFINITY;
    }
}
