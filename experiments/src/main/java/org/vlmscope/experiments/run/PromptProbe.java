package org.vlmscope.experiments.run;

import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.vlmscope.core.SafetensorsWriter.NamedTensor;
import org.vlmscope.core.vocab.GraphNames;
import org.vlmscope.runtime.intervene.Intervention;
import org.vlmscope.runtime.run.Forward;
import org.vlmscope.runtime.run.Greedy;
import org.vlmscope.runtime.run.ImageFeatures;
import org.vlmscope.runtime.run.PreparedPrompt;

/**
 * The two measurements every experiment makes on one prompt, under interventions, exactly as {@code vlmscope run}
 * makes them: the next token after the prompt (one forward pass; its last-position logits kept for
 * probabilities) and greedy decoding with the KV cache. From an image's features computed once, several
 * conditions of one prompt run as the rows of one batch.
 */
public final class PromptProbe {
    private PromptProbe() {
    }

    /** The predicted next token (argmax, the first on ties) and the last position's logits. */
    public record NextToken(long token, float[] logits) {
        /** softmax(logits)[id], computed in double precision. */
        public double probability(long id) {
            double max = Double.NEGATIVE_INFINITY;
            for (float v : logits) {
                max = Math.max(max, v);
            }
            double sum = 0;
            for (float v : logits) {
                sum += Math.exp(v - max);
            }
            return Math.exp(logits[(int) id] - max) / sum;
        }
    }

    /** The next token of a prompt whose image and embeddings were computed once: the decoder alone runs. */
    public static NextToken next(PreparedPrompt prompt, List<Intervention> interventions) {
        return nextOf(prompt.run(interventions, null, Forward.Logits.LAST));
    }

    /** The next token of a decoder run's result (its logits at the last position, or at every position). */
    public static NextToken nextOf(Map<String, NamedTensor> result) {
        return nextOf(result.get(GraphNames.LOGITS));
    }

    /**
     * The next token of {@code ids} about an image whose features were computed once, under each condition: the
     * conditions are the rows of one decoder call.
     */
    public static List<NextToken> next(ExperimentModel model, ImageFeatures image, long[] ids,
                                       List<List<Intervention>> conditions) {
        try (PreparedPrompt rows = PreparedPrompt.of(model.session(), image, repeated(ids, conditions.size()))) {
            NamedTensor logits = rows.runRows(conditions, Forward.Logits.LAST).get(GraphNames.LOGITS);
            List<NextToken> out = new ArrayList<>();
            for (int b = 0; b < conditions.size(); b++) {
                out.add(nextOf(logits, b));
            }
            return out;
        }
    }

    private static NextToken nextOf(NamedTensor logits) {
        return nextOf(logits, 0);
    }

    /** Row {@code row}'s last-position logits and their argmax (the first on ties). */
    private static NextToken nextOf(NamedTensor logits, int row) {
        int seq = (int) logits.shape()[1];
        int vocab = (int) logits.shape()[2];
        FloatBuffer all = logits.data().duplicate().order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer();
        float[] last = new float[vocab];
        all.position((row * seq + seq - 1) * vocab);
        all.get(last);
        int best = 0;
        for (int i = 1; i < vocab; i++) {
            if (last[i] > last[best]) {
                best = i;
            }
        }
        return new NextToken(best, last);
    }

    /**
     * Greedy decoding of up to {@code maxNewTokens} of {@code ids} about an image whose features were computed once,
     * under each condition (the rows of one decoding), stopping at the model's end ids (which stay in the result).
     */
    public static List<long[]> generate(ExperimentModel model, ImageFeatures image, long[] ids,
                                        List<List<Intervention>> conditions, int maxNewTokens) {
        return List.of(Greedy.run(model.session(), image, repeated(ids, conditions.size()), maxNewTokens,
                model.endIds(), conditions).tokens());
    }

    private static long[][] repeated(long[] ids, int rows) {
        long[][] out = new long[rows][];
        Arrays.fill(out, ids);
        return out;
    }
}
