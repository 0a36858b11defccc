package org.vlmscope.runtime.image;

/**
 * Hugging Face's rescale and normalise steps for one 8-bit sample, to the last bit: rescaling multiplies in
 * float64 and rounds to float32 ({@code image.astype(float64) * scale} cast back to float32); normalisation is
 * {@code (x - mean) / std} in float32 with mean and std rounded to float32, as numpy does with float32 images.
 */
final class PixelNormalization {
    private final boolean doRescale;
    private final double rescaleFactor;
    private final boolean doNormalize;
    private final double[] mean;
    private final float[] mean32;
    private final float[] std32;

    PixelNormalization(boolean doRescale, double rescaleFactor, boolean doNormalize, double[] mean, double[] std) {
        this.doRescale = doRescale;
        this.rescaleFactor = rescaleFactor;
        this.doNormalize = doNormalize;
        this.mean = mean.clone();
        this.mean32 = new float[3];
        this.std32 = new float[3];
        for (int c = 0; c < 3; c++) {
            mean32[c] = (float) mean[c];
            std32[c] = (float) std[c];
        }
    }

    /** The model's value for 8-bit sample {@code value} (0..255) of channel {@code c}. */
    float apply(int value, int c) {
        float f = doRescale ? (float) (value * rescaleFactor) : value;
        return doNormalize ? (f - mean32[c]) / std32[c] : f;
    }

    /** The configured mean of channel {@code c}, in float64 (LLaVA's pad colour is derived from it). */
    double mean(int c) {
        return mean[c];
    }
}
