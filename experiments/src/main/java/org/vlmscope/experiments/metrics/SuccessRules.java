package org.vlmscope.experiments.metrics;

import java.util.Locale;
import java.util.regex.Pattern;
import org.vlmscope.experiments.records.Answer;
import org.vlmscope.runtime.text.PromptTemplates.Fidelity;

/**
 * Whether an answer counts as correct, per task and fidelity (EXPERIMENTS.md, "Ablation"). The runners decide
 * {@code baseline_correct} and {@code ablated_correct} with these, from the answers they also store.
 */
public final class SuccessRules {
    private SuccessRules() {
    }

    /**
     * Generative: (code) the object name is a case-sensitive substring of prompt plus output; (paper) it is a
     * whole word of the output alone, case-insensitively (a word is bounded by anything but a letter or digit).
     */
    public static boolean generative(Fidelity fidelity, String object, String prompt, String output) {
        if (fidelity == Fidelity.CODE) {
            return (prompt + output).contains(object);
        }
        Pattern word = Pattern.compile("(?<![\\p{L}\\p{N}])" + Pattern.quote(object) + "(?![\\p{L}\\p{N}])",
                Pattern.CASE_INSENSITIVE | Pattern.UNICODE_CASE);
        return word.matcher(output).find();
    }

    /**
     * Polling: (code) the greedy answer of up to 10 tokens contains "yes" once lowercased; (paper) the next
     * token is the "Yes" token.
     */
    public static boolean polling(Fidelity fidelity, Answer answer, long yesTokenId) {
        if (fidelity == Fidelity.CODE) {
            return answer.text().toLowerCase(Locale.ROOT).contains("yes");
        }
        return !answer.tokenIds().isEmpty() && answer.tokenIds().get(0) == yesTokenId;
    }

    /**
     * VQA (the predicted token after "It is a"): (code) the object's first sub-word, as text, starts with the
     * predicted token's text, so an empty token counts as correct; (paper) the predicted id is the first
     * sub-word's id.
     */
    public static boolean vqa(Fidelity fidelity, Answer predicted, String objectFirstSubword,
            long objectFirstTokenId) {
        if (fidelity == Fidelity.CODE) {
            return objectFirstSubword.startsWith(predicted.text());
        }
        return !predicted.tokenIds().isEmpty() && predicted.tokenIds().get(0) == objectFirstTokenId;
    }
}
