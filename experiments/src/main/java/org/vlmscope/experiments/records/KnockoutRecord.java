package org.vlmscope.experiments.records;

/**
 * One image x scenario x layer window of the attention-knockout experiment (Table 2). The scenario names the
 * blocked edges ({@code O->last}, {@code O+1->last}, {@code O+2->last}, {@code I-(O+1)->last},
 * {@code O+1->lvr}, {@code I-lvr->lvr}); the window has a name ({@code early}, ..., or {@code 0-9} for a sliding
 * window) and its first and last decoder layer (0-indexed, inclusive). {@code pBefore} and {@code pAfter} are
 * the probabilities of the correct token (the object's first sub-word) at the last position, and the answers
 * are the predicted next tokens.
 */
public record KnockoutRecord(
        String imageId,
        String question,
        String object,
        String scenario,
        String window,
        int firstLayer,
        int lastLayer,
        int nFrom,
        int nTo,
        boolean baselineCorrect,
        boolean knockedCorrect,
        double pBefore,
        double pAfter,
        Answer baselineAnswer,
        Answer knockedAnswer) implements ExperimentRecord {
    public static final String KIND = "knockout";

    public KnockoutRecord {
        if (firstLayer < 0 || lastLayer < firstLayer) {
            throw new IllegalArgumentException("layer window " + firstLayer + ".." + lastLayer + " is empty");
        }
    }

    @Override
    public String key() {
        return ExperimentRecord.key(KIND, imageId, scenario, window);
    }
}
