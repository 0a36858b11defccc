package org.vlmscope.experiments.metrics;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.vlmscope.runtime.text.PromptTemplates.Fidelity.CODE;
import static org.vlmscope.runtime.text.PromptTemplates.Fidelity.PAPER;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.vlmscope.experiments.records.Answer;

class SuccessRulesTest {
    private static final String DESCRIBE = "USER: <image>\nDescribe this image. ASSISTANT:";

    @Test
    void generativeCodeIsACaseSensitiveSubstringOfPromptPlusOutput() {
        assertFalse(SuccessRules.generative(CODE, "dog", DESCRIBE, " A Dog sits."));
        assertTrue(SuccessRules.generative(CODE, "dog", DESCRIBE, " Two hotdogs."));
        assertTrue(SuccessRules.generative(CODE, "dog", "Is there a dog?", " A cat."));
    }

    @Test
    void generativePaperIsAWholeWordOfTheOutputInAnyCase() {
        assertTrue(SuccessRules.generative(PAPER, "dog", DESCRIBE, " A Dog sits."));
        assertFalse(SuccessRules.generative(PAPER, "dog", DESCRIBE, " Two hotdogs."));
        assertFalse(SuccessRules.generative(PAPER, "dog", "Is there a dog?", " A cat."));
        assertTrue(SuccessRules.generative(PAPER, "stop sign", DESCRIBE, " a red stop sign."));
        assertTrue(SuccessRules.generative(PAPER, "dog", DESCRIBE, "dog"));
    }

    @Test
    void pollingCodeLooksForYesInTheLowercasedTextPaperForTheYesToken() {
        long yes = 3869;
        assertTrue(SuccessRules.polling(CODE, new Answer(" YES, there is", List.of(1L)), yes));
        assertFalse(SuccessRules.polling(CODE, new Answer(" No", List.of(yes)), yes));
        assertTrue(SuccessRules.polling(PAPER, new Answer(" Yes", List.of(yes, 2L)), yes));
        assertFalse(SuccessRules.polling(PAPER, new Answer(" Yes", List.of(1939L)), yes));
        assertFalse(SuccessRules.polling(PAPER, new Answer("", List.of()), yes));
    }

    @Test
    void vqaCodeIsAPrefixTestThatAcceptsAnEmptyTokenPaperComparesIds() {
        assertTrue(SuccessRules.vqa(CODE, new Answer("do", List.of(5L)), "dog", 11203));
        assertTrue(SuccessRules.vqa(CODE, new Answer("", List.of(29871L)), "dog", 11203));
        assertFalse(SuccessRules.vqa(CODE, new Answer("cat", List.of(6635L)), "dog", 11203));
        assertTrue(SuccessRules.vqa(PAPER, new Answer("dog", List.of(11203L)), "dog", 11203));
        assertFalse(SuccessRules.vqa(PAPER, new Answer("", List.of(29871L)), "dog", 11203));
    }
}
