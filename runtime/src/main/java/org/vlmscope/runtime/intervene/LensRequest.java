package org.vlmscope.runtime.intervene;

import java.util.List;

/**
 * Ask a prefill for the logit lens: top {@code k} tokens per residual stream, and the probabilities of {@code targets}.
 * {@code lastRowNormedTwice} applies the final norm twice to the last row, as the paper's code does (Hugging Face's
 * last hidden state is already normed); every other row is normed once either way.
 */
public record LensRequest(int k, List<Long> targets, boolean lastRowNormedTwice) {
    public LensRequest {
        targets = List.copyOf(targets);
    }

    /** The lens that norms every row once. */
    public LensRequest(int k, List<Long> targets) {
        this(k, targets, false);
    }
}
