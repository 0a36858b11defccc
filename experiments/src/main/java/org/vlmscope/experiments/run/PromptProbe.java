package org.vlmscope.experiments.run;

import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.util.List;
import java.util.Map;
import org.vlmscope.core.SafetensorsWriter.NamedTensor;
import org.vlmscope.core.vocab.GraphNames;
import org.vlmscope.runtime.image.VisionInput;
import org.vlmscope.runtime.intervene.Intervention;
import org.vlmscope.runtime.run.Forward;
import org.vlmscope.runtime.run.Greedy;
import org.vlmscope.runtime.run.PreparedPrompt;

/**
 * The two measurements every experiment makes on one prompt, under interventions, exactly as {@code vlmscope run}
 * makes them: the next token after the prompt (one forward pass; its last-position logits kept for
 * probabilities) and greedy decoding with the KV cache.
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

    /** One forward pass over {@code ids} (placeholder expanded) and the image, unembedding the last position only. */
    public static NextToken next(ExperimentModel model, VisionInput pixels, long[] ids,
                                 List<Intervention> interventions) {
        return nextOf(Forward.run(model.session(), pixels, new long[][] {ids}, interventions, null,
                Forward.Logits.LAST).get(GraphNames.LOGITS));
    }

    /** As above on a prompt whose image and embeddings were computed once: the decoder alone runs. */
    public static NextToken next(PreparedPrompt prompt, List<Intervention> interventions) {
        return nextOf(prompt.run(interventions, null, Forward.Logits.LAST));
    }

    /** The next token of a decoder run's result (its logits at the last position, or at every position). */
    public static NextToken nextOf(Map<String, NamedTensor> result) {
        return nextOf(result.get(GraphNames.LOGITS));
    }

    private static NextToken nextOf(NamedTensor logits) {
        int seq = (int) logits.shape()[1];
        int vocab = (int) logits.shape()[2];
        FloatBuffer all = logits.data().duplicate().order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer();
        float[] last = new float[vocab];
        all.position((seq - 1) * vocab);
        all.get(last);
        int best = 0;
        for (int i = 1; i < vocab; i++) {
            if (last[i] > last[best]) {
                best = i;
            }
        }
        return new NextToken(best, last);
    }

    /** Greedy decoding of up to {@code maxNewTokens}, stopping at the model's end ids (which stay in the result). */
    public static long[] generate(ExperimentModel model, VisionInput pixels, long[] ids,
                                  List<Intervention> interventions, int maxNewTokens) {
        return Greedy.run(model.session(), pixels, new long[][] {ids}, maxNewTokens, model.endIds(), interventions,
                null, null)
                .tokens()[0];
    }
}
