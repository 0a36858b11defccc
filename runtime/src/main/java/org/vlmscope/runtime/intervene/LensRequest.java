package org.vlmscope.runtime.intervene;

import java.util.List;

/** Ask a prefill for the logit lens: top {@code k} tokens per residual stream, and the probabilities of {@code targets}. */
public record LensRequest(int k, List<Long> targets) {
    public LensRequest {
        targets = List.copyOf(targets);
    }
}
