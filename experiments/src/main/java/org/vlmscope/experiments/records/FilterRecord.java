package org.vlmscope.experiments.records;

/**
 * The hallucination filter's verdict on one image (EXPERIMENTS.md, dataset step 5): the greedy description of
 * the clean image and of the copy with noise pasted into the object cells, whether each mentions the object
 * (by the run's fidelity rule for the generative task), and the polling answers, which are recorded but do not
 * filter. The image enters the generative and polling columns of Table 1 only if it {@link #passes()}.
 */
public record FilterRecord(
        String imageId,
        String object,
        Answer cleanDescription,
        Answer maskedDescription,
        boolean cleanMentions,
        boolean maskedMentions,
        Answer cleanPolling,
        Answer maskedPolling) implements ExperimentRecord {
    public static final String KIND = "filter";

    /** The clean description names the object and the noise-masked one does not. */
    public boolean passes() {
        return cleanMentions && !maskedMentions;
    }

    @Override
    public String key() {
        return ExperimentRecord.key(KIND, imageId);
    }
}
