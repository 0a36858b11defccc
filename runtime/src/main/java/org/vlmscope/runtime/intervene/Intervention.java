package org.vlmscope.runtime.intervene;

import java.util.Arrays;

/**
 * A change to a run, as a value. The runtime turns a list of them into the graph passes they need and the
 * extra inputs those passes read. Positions are 0-based indices into the (expanded) input sequence and apply to
 * every row of a batch.
 */
public sealed interface Intervention {

    /** Replace the LM input embeddings at {@code positions} with {@code vector} (width d_model), on the prefill only. */
    record Ablation(int[] positions, float[] vector) implements Intervention {
        public Ablation {
            positions = positions.clone();
            vector = vector.clone();
        }

        @Override
        public String toString() {
            return "ablate " + Positions.format(positions);
        }
    }

    /**
     * Write {@code values} into hook {@code hook} (a tensor [batch, seq, ...]) at {@code positions}, on the prefill
     * only. {@code values} holds one row of the hook's trailing size for every position, or a single row used at
     * every position.
     */
    record HookPatch(String hook, int[] positions, float[] values) implements Intervention {
        public HookPatch {
            positions = positions.clone();
            values = values.clone();
        }

        @Override
        public String toString() {
            return "patch " + hook + "@" + Positions.format(positions);
        }
    }

    /**
     * In decoder {@code layers}, for all heads, queries at positions {@code to} may not attend to keys at positions
     * {@code from}: their pre-softmax score is -inf (fp32) or the dtype's lowest finite value (fp16). Applies at
     * every step, prefill and decode.
     */
    record Knockout(int[] from, int[] to, int[] layers) implements Intervention {
        public Knockout {
            from = from.clone();
            to = to.clone();
            layers = layers.clone();
        }

        @Override
        public String toString() {
            return "knockout " + Positions.format(from) + ":" + Positions.format(to) + "@" + Arrays.toString(layers);
        }
    }
}
