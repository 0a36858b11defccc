package org.vlmscope.experiments.records;

import java.util.List;

/**
 * What the model produced for one prompt, kept so a person can read it and a success rule can be applied to it
 * again: the decoded text of the new tokens (for a one-token answer, that token's text) and their ids.
 */
public record Answer(String text, List<Long> tokenIds) {
    public Answer {
        if (text == null || tokenIds == null) {
            throw new IllegalArgumentException("an answer needs its text and token ids");
        }
        tokenIds = List.copyOf(tokenIds);
    }
}
