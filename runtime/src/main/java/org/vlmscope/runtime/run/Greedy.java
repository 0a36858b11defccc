package org.vlmscope.runtime.run;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtSession;
import java.nio.FloatBuffer;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.List;
import java.util.Set;
import org.vlmscope.core.BadArgumentException;
import org.vlmscope.core.ModelManifest;
import org.vlmscope.core.SafetensorsWriter.NamedTensor;
import org.vlmscope.core.vocab.GraphNames;
import org.vlmscope.runtime.family.RuntimeFamilies;
import org.vlmscope.runtime.image.VisionInput;
import org.vlmscope.runtime.intervene.Intervention;
import org.vlmscope.runtime.intervene.LensRequest;
import org.vlmscope.runtime.intervene.Positions;
import org.vlmscope.runtime.session.ModelSession;
import org.vlmscope.runtime.session.OrtTensors;

/**
 * Greedy decoding with the KV cache: one prefill over the prompt, then one decoder step per new token that
 * feeds the previous step's present.* tensors back as past_key_values.*. Prompts of different lengths are
 * left-padded (see {@link Batch}); a row that has produced an end-of-sequence id is fed the pad id afterwards,
 * as Hugging Face's generate does, and records nothing more.
 */
public final class Greedy {
    private Greedy() {
    }

    /**
     * New tokens per row and, per step, the final-position logits that chose them ({@code stepLogits[b][k]} is
     * computed on the prompt plus the first k new tokens). A row stops at an id in {@code eos}.
     */
    public record Generation(long[][] tokens, float[][][] stepLogits) {
    }

    public static Generation run(ModelSession session, NamedTensor pixelValues, long[][] inputIds, int maxNewTokens,
                                 Set<Long> eos) {
        return run(session, pixelValues, inputIds, maxNewTokens, eos, List.of());
    }

    /** As above under {@code interventions}: patches on the prefill, knockouts at every step. */
    public static Generation run(ModelSession session, NamedTensor pixelValues, long[][] inputIds, int maxNewTokens,
                                 Set<Long> eos, List<Intervention> interventions) {
        return run(session, pixelValues, inputIds, maxNewTokens, eos, interventions, null, null);
    }

    /**
     * As above; when {@code prompt} is not null it receives what {@link Forward#run} returns for the prompt (exposed
     * hooks, logits and, with {@code lens}, the lens tensors), taken from the prefill this decoding runs anyway.
     */
    public static Generation run(ModelSession session, NamedTensor pixelValues, long[][] inputIds, int maxNewTokens,
                                 Set<Long> eos, List<Intervention> interventions, LensRequest lens,
                                 Map<String, NamedTensor> prompt) {
        return run(session, VisionInput.of(pixelValues), inputIds, maxNewTokens, eos, interventions, lens, prompt);
    }

    /** As above for the images of any family: their pixel values and, where each has its own grid, the grids. */
    public static Generation run(ModelSession session, VisionInput vision, long[][] inputIds, int maxNewTokens,
                                 Set<Long> eos, List<Intervention> interventions, LensRequest lens,
                                 Map<String, NamedTensor> prompt) {
        checkBudget(session, vision, inputIds, maxNewTokens);
        // The prompt's logits are needed at every position only when the caller asked for the prompt's outputs.
        InterventionPlan plan = new InterventionPlan(session, interventions, lens, prompt == null);
        Map<String, NamedTensor> promptOutputs = prompt != null ? prompt : new LinkedHashMap<>();
        try (Forward.Prefill prefill = Forward.Prefill.run(session, plan, vision, inputIds, maxNewTokens - 1,
                promptOutputs)) {
            return decode(session, plan, prefill, maxNewTokens, eos, prompt);
        }
    }

    /**
     * Decoding of prompts about one image whose features were computed once ({@link ImageFeatures}): row b of
     * {@code inputIds} runs under {@code perRow.get(b)} alone, so one call decodes several conditions of a prompt.
     * Each row's result is what {@link #run(ModelSession, NamedTensor, long[][], int, Set, List)} gives for that
     * row and its interventions.
     */
    public static Generation run(ModelSession session, ImageFeatures image, long[][] inputIds, int maxNewTokens,
                                 Set<Long> eos, List<List<Intervention>> perRow) {
        if (perRow.size() != inputIds.length) {
            throw new BadArgumentException(perRow.size() + " lists of interventions for " + inputIds.length
                    + " rows: expected one list per row");
        }
        checkBudget(session, image.visionForRows(inputIds.length), inputIds, maxNewTokens);
        InterventionPlan plan = InterventionPlan.perRow(session, perRow, true);
        try (Forward.Prefill prefill = Forward.Prefill.run(session, plan, image, inputIds, maxNewTokens - 1,
                new LinkedHashMap<>())) {
            return decode(session, plan, prefill, maxNewTokens, eos, null);
        }
    }

    /** Greedy decoding from a built prefill; {@code prompt}, when not null, receives the prompt's decoder outputs. */
    private static Generation decode(ModelSession session, InterventionPlan plan, Forward.Prefill prefill,
                                     int maxNewTokens, Set<Long> eos, Map<String, NamedTensor> prompt) {
        Batch padded = prefill.batch();
        int batch = padded.size();
        int vocab = session.manifest().dims().vocab();
        long[][] tokens = new long[batch][maxNewTokens];
        float[][][] stepLogits = new float[batch][maxNewTokens][];
        int[] produced = new int[batch];
        boolean[] done = new boolean[batch];
        long pad = session.manifest().padTokenId() != null ? session.manifest().padTokenId() : 0;
        OrtSession.Result result = prefill.runDecoder();
        if (prompt != null) {
            Forward.collectDecoder(session, result, prompt);
        }
        try {
            for (int step = 0; step < maxNewTokens; step++) {
                long[][] next = new long[batch][1];
                float[][] last = lastPositionLogits((OnnxTensor) result.get(GraphNames.LOGITS).orElseThrow(), batch, vocab);
                for (int b = 0; b < batch; b++) {
                    next[b][0] = done[b] ? pad : argmax(last[b]);
                    if (!done[b]) {
                        stepLogits[b][produced[b]] = last[b];
                        tokens[b][produced[b]++] = next[b][0];
                        done[b] = eos.contains(next[b][0]);
                    }
                }
                if (step == maxNewTokens - 1 || allDone(done)) {
                    break;
                }
                OrtSession.Result stepResult = decodeStep(session, plan, padded, result, next);
                result.close();
                result = stepResult;
            }
        } finally {
            result.close();
        }
        for (int b = 0; b < batch; b++) {
            tokens[b] = java.util.Arrays.copyOf(tokens[b], produced[b]);
            stepLogits[b] = java.util.Arrays.copyOf(stepLogits[b], produced[b]);
        }
        return new Generation(tokens, stepLogits);
    }

    /**
     * The same decoding without a KV cache: every step recomputes the whole sequence (image included) with a
     * full forward pass. Slow by design; it is the reference the cached path is measured and checked against.
     */
    public static Generation runWithoutCache(ModelSession session, NamedTensor pixelValues, long[][] inputIds,
                                             int maxNewTokens, List<Intervention> interventions) {
        return runWithoutCache(session, VisionInput.of(pixelValues), inputIds, maxNewTokens, interventions);
    }

    /** As above for the images of any family. */
    public static Generation runWithoutCache(ModelSession session, VisionInput vision, long[][] inputIds,
                                             int maxNewTokens, List<Intervention> interventions) {
        checkBudget(session, vision, inputIds, maxNewTokens);
        int batch = inputIds.length;
        long[][] sequences = inputIds.clone();
        long[][] tokens = new long[batch][maxNewTokens];
        float[][][] stepLogits = new float[batch][maxNewTokens][];
        for (int step = 0; step < maxNewTokens; step++) {
            NamedTensor logits = Forward.run(session, vision, sequences, interventions, null, Forward.Logits.ALL)
                    .get(GraphNames.LOGITS);
            int seq = (int) logits.shape()[1];
            int vocab = (int) logits.shape()[2];
            java.nio.FloatBuffer all = logits.data().duplicate().order(java.nio.ByteOrder.LITTLE_ENDIAN).asFloatBuffer();
            for (int b = 0; b < batch; b++) {
                float[] last = new float[vocab];
                all.position((b * seq + seq - 1) * vocab);
                all.get(last);
                stepLogits[b][step] = last;
                tokens[b][step] = argmax(last);
                sequences[b] = java.util.Arrays.copyOf(sequences[b], sequences[b].length + 1);
                sequences[b][sequences[b].length - 1] = tokens[b][step];
            }
        }
        return new Generation(tokens, stepLogits);
    }

    /** Runs the decoder on one new token per row, appended to {@code padded}, reusing the cache in {@code previous}. */
    private static OrtSession.Result decodeStep(ModelSession session, InterventionPlan plan, Batch padded,
                                                OrtSession.Result previous, long[][] next) {
        OnnxTensor embeds;
        try (OnnxTensor ids = Inputs.longs(session.env(), next);
             OnnxTensor noImage = Forward.emptyFeatures(session, next.length);
             OrtSession.Result e = session.run(GraphNames.EMBED,
                     Map.of(GraphNames.INPUT_IDS, ids, GraphNames.IMAGE_FEATURES, noImage))) {
            embeds = OrtTensors.toOrt(session.env(), OrtTensors.fromOrt(GraphNames.INPUTS_EMBEDS,
                    (OnnxTensor) e.get(GraphNames.INPUTS_EMBEDS).orElseThrow()));
        }
        int past = padded.length();
        long[][][] positions = padded.append();
        try (DecoderInputs inputs = DecoderInputs.step(session, embeds, padded.attentionMask(), positions, previous)) {
            return Forward.runGraph(session, plan, padded, GraphNames.DECODER, true, past, 1, inputs.map());
        }
    }

    static float[][] lastPositionLogits(OnnxTensor logits, int batch, int vocab) {
        long[] shape = logits.getInfo().getShape();
        int seq = (int) shape[1];
        FloatBuffer all = logits.getFloatBuffer();
        float[][] out = new float[batch][vocab];
        for (int b = 0; b < batch; b++) {
            all.position((b * seq + seq - 1) * vocab);
            all.get(out[b]);
        }
        return out;
    }

    /** Index of the largest value; the first one on ties, as torch.argmax. */
    static int argmax(float[] values) {
        int best = 0;
        for (int i = 1; i < values.length; i++) {
            if (values[i] > values[best]) {
                best = i;
            }
        }
        return best;
    }

    private static boolean allDone(boolean[] done) {
        for (boolean d : done) {
            if (!d) {
                return false;
            }
        }
        return true;
    }

    /**
     * Refuses a generation budget the model cannot hold, before anything is allocated for it: the prompt (its image
     * placeholder expanded) and the new tokens must fit the model's context ({@code dims.contextLength}, the
     * language model's max_position_embeddings); a manifest written before that was recorded bounds the budget by
     * {@link Positions#MAX_VALUE} instead.
     */
    static void checkBudget(ModelSession session, VisionInput vision, long[][] inputIds, int maxNewTokens) {
        if (maxNewTokens < 0) {
            throw new BadArgumentException("max new tokens must be 0 or more, got " + maxNewTokens);
        }
        ModelManifest m = session.manifest();
        long prompt = 0;
        for (long[] row : RuntimeFamilies.of(m).expandImages(m, inputIds, vision)) {
            prompt = Math.max(prompt, row.length);
        }
        Integer context = m.dims().contextLength();
        long limit = context != null ? context : Positions.MAX_VALUE;
        if (prompt + maxNewTokens > limit) {
            throw new BadArgumentException("max new tokens " + maxNewTokens + " after a prompt of " + prompt
                    + " positions: " + (prompt + maxNewTokens) + " positions exceed "
                    + (context != null ? "the model's context of " + context + " (max_position_embeddings)"
                    : "the limit of " + limit));
        }
    }
}
