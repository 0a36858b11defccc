package org.vlmscope.golden;

/**
 * How close an export must come to Hugging Face's fp32 reference.
 *
 * <p>fp32 exports use the fixture manifest's tolerances (4x the fp32-vs-fp64 noise of the reference).
 *
 * <p>fp16 exports store weights and every activation between ops in half precision (norms and softmax run in
 * fp32). Each store rounds with relative error at most u = 2^-11. Along the residual path one transformer
 * block rounds about 8 times (normalised input, q/k/v, attention output, output projection, MLP input, gate,
 * MLP output, the two residual adds); in the worst case these errors add linearly and the residual stream
 * carries them on to every later block. So a tensor that depends on B blocks (vision layers computed, the
 * projector counted as one, decoder layers up to it) may differ by at most 8 * B * u * scale, where scale is
 * the magnitude of the tensor (the manifest's vision_scale, hidden_scale, logits_scale).
 */
record Tolerance(double atol, double rtol) {
    static final double HALF_UNIT_ROUNDOFF = Math.scalb(1.0, -11);
    static final int ROUNDINGS_PER_BLOCK = 8;

    static Tolerance fp32(GoldenFixture f, String group) {
        return new Tolerance(f.atol(group), f.rtol(group));
    }

    static Tolerance fp16(int blocks, double scale) {
        return new Tolerance(ROUNDINGS_PER_BLOCK * blocks * HALF_UNIT_ROUNDOFF * scale, 0);
    }
}
