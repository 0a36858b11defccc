package org.vlmscope.runtime.image;

/**
 * PIL's {@code Image.resize(size, Image.BICUBIC)} for 8-bit RGB images, value for value.
 *
 * <p>Hugging Face image processors resize through PIL, and a model's visual tokens move with every pixel that
 * differs, so this reproduces Pillow's resampler ({@code libImaging/Resample.c}) rather than using a Java
 * scaler: a separable convolution, horizontal pass first, with the bicubic kernel (a = -0.5) widened by the
 * scale factor when shrinking (that widening is PIL's antialiasing). Each output pixel's weights are normalised
 * to sum to one, then turned into integers with {@value #PRECISION_BITS} fractional bits; sums start at one half
 * and are shifted down and clamped to 0..255. The image between the two passes is 8-bit too, so its rounding is
 * part of the result.
 */
public final class PilResize {
    /** 32 bits minus 8 for the sample and 2 of headroom for kernels whose partial sums exceed 1 or fall below 0. */
    private static final int PRECISION_BITS = 32 - 8 - 2;
    private static final int HALF = 1 << (PRECISION_BITS - 1);
    /** The bicubic kernel is non-zero on (-2, 2) input pixels before widening. */
    private static final double BICUBIC_SUPPORT = 2.0;

    private PilResize() {
    }

    /** {@code image} resized to {@code width x height} as PIL's bicubic resize does. */
    public static RgbImage bicubic(RgbImage image, int width, int height) {
        if (width <= 0 || height <= 0) {
            throw new IllegalArgumentException("resize target must be positive, got " + width + "x" + height);
        }
        RgbImage out = image;
        // PIL skips a pass whose axis keeps its size; at scale 1 the kernel is the identity, so only time is saved.
        if (width != image.width()) {
            out = horizontal(out, Weights.of(image.width(), width));
        }
        if (height != image.height()) {
            out = vertical(out, Weights.of(image.height(), height));
        }
        return out;
    }

    private static RgbImage horizontal(RgbImage in, Weights w) {
        int inWidth = in.width();
        int outWidth = w.first().length;
        int[] first = w.first();
        int[] count = w.count();
        int[] fixed = w.fixed();
        byte[] src = in.rgb();
        byte[] dst = new byte[outWidth * in.height() * 3];
        for (int y = 0; y < in.height(); y++) {
            int row = y * inWidth * 3;
            for (int x = 0; x < outWidth; x++) {
                int r = HALF;
                int g = HALF;
                int b = HALF;
                int k = x * w.stride();
                int p = row + first[x] * 3;
                for (int i = 0; i < count[x]; i++, p += 3) {
                    int c = fixed[k + i];
                    r += (src[p] & 0xFF) * c;
                    g += (src[p + 1] & 0xFF) * c;
                    b += (src[p + 2] & 0xFF) * c;
                }
                int o = (y * outWidth + x) * 3;
                dst[o] = clip8(r);
                dst[o + 1] = clip8(g);
                dst[o + 2] = clip8(b);
            }
        }
        return new RgbImage(outWidth, in.height(), dst);
    }

    private static RgbImage vertical(RgbImage in, Weights w) {
        int rowBytes = in.width() * 3;
        int outHeight = w.first().length;
        int[] first = w.first();
        int[] count = w.count();
        int[] fixed = w.fixed();
        byte[] src = in.rgb();
        byte[] dst = new byte[rowBytes * outHeight];
        for (int y = 0; y < outHeight; y++) {
            int k = y * w.stride();
            int top = first[y] * rowBytes;
            for (int s = 0; s < rowBytes; s++) {
                int sum = HALF;
                int p = top + s;
                for (int i = 0; i < count[y]; i++, p += rowBytes) {
                    sum += (src[p] & 0xFF) * fixed[k + i];
                }
                dst[y * rowBytes + s] = clip8(sum);
            }
        }
        return new RgbImage(in.width(), outHeight, dst);
    }

    private static byte clip8(int sum) {
        int v = sum >> PRECISION_BITS;
        return (byte) (v < 0 ? 0 : Math.min(v, 255));
    }

    /** PIL's bicubic kernel with a = -0.5, written in Pillow's operation order so every double rounds alike. */
    private static double bicubicKernel(double x) {
        final double a = -0.5;
        if (x < 0.0) {
            x = -x;
        }
        if (x < 1.0) {
            return ((a + 2.0) * x - (a + 3.0)) * x * x + 1;
        }
        if (x < 2.0) {
            return (((x - 5) * x + 8) * x - 4) * a;
        }
        return 0.0;
    }

    /**
     * For each output pixel along one axis: the first input pixel it reads, how many it reads, and their
     * fixed-point weights (at {@code out * stride}).
     */
    private record Weights(int[] first, int[] count, int[] fixed, int stride) {
        static Weights of(int inSize, int outSize) {
            double scale = (double) inSize / outSize;
            double filterScale = Math.max(scale, 1.0);
            double support = BICUBIC_SUPPORT * filterScale;
            int stride = (int) Math.ceil(support) * 2 + 1;
            int[] first = new int[outSize];
            int[] count = new int[outSize];
            int[] fixed = new int[outSize * stride];
            double[] weight = new double[stride];
            double inverseFilterScale = 1.0 / filterScale;
            for (int out = 0; out < outSize; out++) {
                double center = (out + 0.5) * scale;
                // PIL rounds the window ends with (int)(v + 0.5), which truncates towards zero; clamped below.
                int lo = Math.max(0, (int) (center - support + 0.5));
                int hi = Math.min(inSize, (int) (center + support + 0.5));
                int n = hi - lo;
                double total = 0.0;
                for (int i = 0; i < n; i++) {
                    weight[i] = bicubicKernel((i + lo - center + 0.5) * inverseFilterScale);
                    total += weight[i];
                }
                for (int i = 0; i < n; i++) {
                    double normalised = total != 0.0 ? weight[i] / total : weight[i];
                    // Round half away from zero, as Pillow's normalize_coeffs_8bpc does.
                    fixed[out * stride + i] = (int) (normalised < 0
                            ? -0.5 + normalised * (1 << PRECISION_BITS)
                            : 0.5 + normalised * (1 << PRECISION_BITS));
                }
                first[out] = lo;
                count[out] = n;
            }
            return new Weights(first, count, fixed, stride);
        }
    }
}
