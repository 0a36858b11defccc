package org.vlmscope.runtime.attribution;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtSession;
import java.nio.FloatBuffer;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.vlmscope.core.BadArgumentException;
import org.vlmscope.core.DType;
import org.vlmscope.core.SafetensorsWriter.NamedTensor;
import org.vlmscope.core.VlmscopeException;
import org.vlmscope.core.vocab.GraphNames;
import org.vlmscope.graph.passes.Gradient;
import org.vlmscope.graph.passes.LogitPositions;
import org.vlmscope.graph.passes.Pass;
import org.vlmscope.runtime.image.VisionInput;
import org.vlmscope.runtime.intervene.Positions;
import org.vlmscope.runtime.run.DecoderInputs;
import org.vlmscope.runtime.run.Forward;
import org.vlmscope.runtime.run.PreparedPrompt;
import org.vlmscope.runtime.session.ModelSession;
import org.vlmscope.runtime.session.OrtTensors;

/**
 * Integrated gradients over the LM input embeddings, forward and backward in one ONNX Runtime call per batch of
 * interpolation points (the decoder variant with the gradient pass). Attribution = (x - baseline) times the
 * weighted sum of gradients along the straight path; each position's score reduces its attribution over the
 * hidden dimension. The completeness gap compares the sum of all attributions with f(x) - f(baseline). The
 * decoder computes logits at the target position only and the gradient's seed covers that position alone, so no
 * [points, sequence, vocab] tensor is built forward or backward.
 */
public final class IntegratedGradients {
    private static final String WRT = GraphNames.INPUTS_EMBEDS;

    private IntegratedGradients() {
    }

    /** Where the path points lie and how they are weighted. */
    public enum Rule {
        /** alpha_k = k/m, k = 1..m, each weighted 1/m (a right Riemann sum). */
        RIGHT,
        /** alpha = linspace(0, 1, m), both ends included, averaged: what the paper's code does. */
        LINSPACE,
        /** alpha_k = k/m, k = 0..m, trapezoid weights (1/2m at the ends, 1/m inside). */
        TRAPEZOID;

        double[] alphas(int m) {
            return switch (this) {
                case RIGHT -> fill(m, k -> (double) (k + 1) / m);
                case LINSPACE -> fill(m, k -> m == 1 ? 1.0 : (double) k / (m - 1));
                case TRAPEZOID -> fill(m + 1, k -> (double) k / m);
            };
        }

        double[] weights(int m) {
            return switch (this) {
                case RIGHT, LINSPACE -> fill(m, k -> 1.0 / m);
                case TRAPEZOID -> fill(m + 1, k -> k == 0 || k == m ? 0.5 / m : 1.0 / m);
            };
        }

        private static double[] fill(int n, java.util.function.IntToDoubleFunction f) {
            double[] out = new double[n];
            for (int i = 0; i < n; i++) {
                out[i] = f.applyAsDouble(i);
            }
            return out;
        }
    }

    /** How an attribution row [d_model] becomes one score. */
    public enum Reduce { SUM, ABSSUM, L2 }

    /** The differentiated function: logit of {@code token} (minus that of {@code minusToken} when set) at {@code position}. */
    public record Target(long token, Long minusToken, int position) {
    }

    /**
     * The baseline: either a whole tensor [seq, d_model] ({@code values} of seq * d_model, positions null), or the
     * input embeddings with one vector ({@code values} of d_model) written at {@code positions} (every position when
     * null).
     */
    public record Baseline(float[] values, int[] positions) {
        /**
         * The baseline of a prompt of {@code seq} positions whose visual tokens sit at {@code visual}:
         * {@code values} of seq x d_model is a whole tensor; a vector of d_model is written at {@code positions},
         * or, when those are null, at the visual tokens (every position of a text-only prompt).
         */
        public static Baseline forPrompt(float[] values, int[] positions, int[] visual, int seq, int d) {
            boolean tensor = values.length == (long) seq * d && values.length != d;
            if (tensor && positions != null) {
                throw new BadArgumentException("baseline positions apply to a baseline vector; this baseline is a whole "
                        + "[seq, d_model] tensor (" + seq + " x " + d + ")");
            }
            return new Baseline(values, tensor ? null : positions != null ? positions : visual.length > 0 ? visual : null);
        }
    }

    public record Options(int steps, Rule rule, Reduce reduce, int batchSize) {
        public Options {
            if (steps < 1 || batchSize < 1) {
                throw new BadArgumentException("integrated gradients need at least 1 step and a batch size of at least 1");
            }
        }
    }

    /** Scores per position, the attributions [seq, d_model], and the completeness check. */
    public record Result(float[] scores, float[] attributions, double fInput, double fBaseline, double sumAttributions) {
        public double completenessGap() {
            return sumAttributions - (fInput - fBaseline);
        }
    }

    public static Result run(ModelSession session, NamedTensor pixelValues, long[] inputIds, Baseline baseline,
                             Target target, Options options) {
        return run(session, VisionInput.of(pixelValues), inputIds, baseline, target, options);
    }

    /** As above for the images of any family (their pixel values and, where each has its own grid, the grids). */
    public static Result run(ModelSession session, VisionInput vision, long[] inputIds, Baseline baseline,
                             Target target, Options options) {
        checkFloat32(session);
        try (Forward.Prefill prefill = Forward.Prefill.plain(session, vision, new long[][] {inputIds})) {
            return run(session, floats(prefill.inputsEmbeds()), prefill.length(), prefill.promptPositions(), baseline,
                    target, options);
        }
    }

    /** As above on a one-row prompt whose image and embeddings were computed already. */
    public static Result run(ModelSession session, PreparedPrompt prompt, Baseline baseline, Target target,
                             Options options) {
        checkFloat32(session);
        int d = session.manifest().dims().dModel();
        float[] x = prompt.inputsEmbeds();
        if (x.length != (long) prompt.length() * d) {
            throw new BadArgumentException("integrated gradients attribute one prompt; the prepared prompt has "
                    + x.length / ((long) prompt.length() * d) + " rows");
        }
        return run(session, x, prompt.length(), prompt.positions(), baseline, target, options);
    }

    private static void checkFloat32(ModelSession session) {
        if (session.computeType() != DType.F32) {
            throw new VlmscopeException("integrated gradients run on fp32 exports; " + session.dir() + " is "
                    + session.manifest().dtype());
        }
    }

    /**
     * Integrated gradients from the prompt's input embeddings {@code x} [seq, d_model] at its position ids
     * {@code positions} (one row), which every point of the path keeps: the embeddings change, the positions not.
     */
    private static Result run(ModelSession session, float[] x, int seq, long[][][] positions, Baseline baseline,
                              Target target, Options options) {
        int d = session.manifest().dims().dModel();
        int vocab = session.manifest().dims().vocab();
        int position = target.position() < 0 ? seq - 1 : target.position();
        Positions.check(new int[] {position}, seq, "target");
        checkToken(target.token(), vocab);
        if (target.minusToken() != null) {
            checkToken(target.minusToken(), vocab);
        }
        float[] base = baselineEmbeddings(x, baseline, seq, d);

        double[] alphas = options.rule().alphas(options.steps());
        double[] weights = options.rule().weights(options.steps());
        double[] gradSum = new double[seq * d];
        List<Pass> passes = List.of(new LogitPositions(), new Gradient(WRT));
        for (int start = 0; start < alphas.length; start += options.batchSize()) {
            int n = Math.min(options.batchSize(), alphas.length - start);
            float[] points = new float[n * seq * d];
            for (int b = 0; b < n; b++) {
                double a = alphas[start + b];
                for (int i = 0; i < seq * d; i++) {
                    points[b * seq * d + i] = (float) (base[i] + a * (x[i] - base[i]));
                }
            }
            float[] grads = gradients(session, passes, points, n, positions, target, position, vocab);
            for (int b = 0; b < n; b++) {
                double w = weights[start + b];
                for (int i = 0; i < seq * d; i++) {
                    gradSum[i] += w * grads[b * seq * d + i];
                }
            }
        }
        float[] attributions = new float[seq * d];
        double total = 0;
        for (int i = 0; i < attributions.length; i++) {
            attributions[i] = (float) ((x[i] - base[i]) * gradSum[i]);
            total += attributions[i];
        }
        float[] scores = new float[seq];
        for (int p = 0; p < seq; p++) {
            double s = 0;
            for (int j = 0; j < d; j++) {
                float v = attributions[p * d + j];
                s += switch (options.reduce()) {
                    case SUM -> v;
                    case ABSSUM -> Math.abs(v);
                    case L2 -> (double) v * v;
                };
            }
            scores[p] = (float) (options.reduce() == Reduce.L2 ? Math.sqrt(s) : s);
        }
        double fInput = targetValue(session, x, positions, target, position, vocab);
        double fBaseline = targetValue(session, base, positions, target, position, vocab);
        return new Result(scores, attributions, fInput, fBaseline, total);
    }

    private static float[] baselineEmbeddings(float[] x, Baseline baseline, int seq, int d) {
        float[] values = baseline.values();
        if (values.length == seq * d && baseline.positions() == null && seq > 1) {
            return values.clone();
        }
        if (values.length != d) {
            throw new BadArgumentException("baseline has " + values.length + " values; expected a vector of d_model " + d
                    + " or a tensor of seq x d_model = " + seq + " x " + d);
        }
        float[] base = x.clone();
        int[] replaced = baseline.positions() == null ? Positions.range(0, seq) : baseline.positions();
        Positions.check(replaced, seq, "baseline");
        for (int p : replaced) {
            System.arraycopy(values, 0, base, p * d, d);
        }
        return base;
    }

    /** Gradient x input: one backward pass at the input, attribution = x * grad (no baseline, no path). */
    public static Result gradientTimesInput(ModelSession session, NamedTensor pixelValues, long[] inputIds,
                                            Target target, Reduce reduce) {
        return gradientTimesInput(session, VisionInput.of(pixelValues), inputIds, target, reduce);
    }

    /** As above for the images of any family. */
    public static Result gradientTimesInput(ModelSession session, VisionInput vision, long[] inputIds,
                                            Target target, Reduce reduce) {
        Baseline zero = new Baseline(new float[session.manifest().dims().dModel()], null);
        return run(session, vision, inputIds, zero, target, new Options(1, Rule.RIGHT, reduce, 1));
    }

    /** d/d inputs_embeds of the target for {@code n} points [n, seq, d], one decoder call. */
    private static float[] gradients(ModelSession session, List<Pass> passes, float[] points, int n,
                                     long[][][] positions, Target target, int position, int vocab) {
        float[] seed = new float[n * vocab];
        for (int b = 0; b < n; b++) {
            int at = b * vocab;
            seed[at + (int) target.token()] += 1f;
            if (target.minusToken() != null) {
                seed[at + target.minusToken().intValue()] -= 1f;
            }
        }
        try (DecoderInputs decoder = DecoderInputs.prompt(session, points, n, positions).logitsAt(session, position);
             OnnxTensor seedTensor = OrtTensors.toOrt(session.env(), NamedTensor.ofFloats(Gradient.SEED,
                     new long[] {n, 1, vocab}, seed))) {
            Map<String, OnnxTensor> inputs = new HashMap<>(decoder.map());
            inputs.put(Gradient.SEED, seedTensor);
            try (OrtSession.Result r = session.run(GraphNames.DECODER, passes, inputs)) {
                return floats((OnnxTensor) r.get(Gradient.outputName(WRT)).orElseThrow());
            }
        }
    }

    /** The target's value for embeddings {@code embeds} [seq, d] (a plain decoder run). */
    private static double targetValue(ModelSession session, float[] embeds, long[][][] positions, Target target,
                                      int position, int vocab) {
        try (DecoderInputs inputs = DecoderInputs.prompt(session, embeds, 1, positions).logitsAt(session, position);
             OrtSession.Result r = session.run(GraphNames.DECODER, List.of(new LogitPositions()), inputs.map())) {
            FloatBuffer logits = ((OnnxTensor) r.get(GraphNames.LOGITS).orElseThrow()).getFloatBuffer();
            double v = logits.get((int) target.token());
            return target.minusToken() == null ? v : v - logits.get(target.minusToken().intValue());
        }
    }

    private static void checkToken(long token, int vocab) {
        if (token < 0 || token >= vocab) {
            throw new BadArgumentException("target token " + token + " is outside the vocabulary (0-" + (vocab - 1) + ")");
        }
    }

    private static float[] floats(OnnxTensor t) {
        FloatBuffer fb = t.getFloatBuffer();
        float[] out = new float[fb.remaining()];
        fb.get(out);
        return out;
    }
}
