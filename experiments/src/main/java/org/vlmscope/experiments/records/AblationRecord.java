package org.vlmscope.experiments.records;

import java.util.List;

/**
 * One image x task x token set of the ablation experiment (Table 1): whether the model was correct before and
 * after the visual tokens at {@code positions} (visual token indices, row-major on the image's grid) were
 * replaced by the mean vector. {@code nTokens} is the number of positions ablated. Tasks: {@code generative},
 * {@code polling}, {@code vqa}; sets: {@code object}, {@code object+1}, {@code object+2}, {@code register},
 * {@code random-N}, {@code ig-N}.
 */
public record AblationRecord(
        String imageId,
        String object,
        String task,
        String set,
        int nTokens,
        List<Integer> positions,
        boolean baselineCorrect,
        boolean ablatedCorrect,
        Answer baselineAnswer,
        Answer ablatedAnswer) implements ExperimentRecord {
    public static final String KIND = "ablation";

    public AblationRecord {
        positions = List.copyOf(positions);
        if (nTokens != positions.size()) {
            throw new IllegalArgumentException("n_tokens " + nTokens + " but " + positions.size() + " positions");
        }
    }

    @Override
    public String key() {
        return ExperimentRecord.key(KIND, imageId, task, set);
    }
}
