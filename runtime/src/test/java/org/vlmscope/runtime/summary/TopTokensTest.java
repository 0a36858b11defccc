package org.vlmscope.runtime.summary;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import org.junit.jupiter.api.Test;

class TopTokensTest {
    @Test
    void largestFirstWithinTheRowAndLowerIdOnTies() {
        float[] logits = {
            9, 9, 9, 9,           // another row: must be ignored
            0.5f, 3, -1, 3, 2, Float.NaN, 7, 3, 0,
        };
        List<TopTokens.Token> top = TopTokens.of(logits, 4, 9, 4);
        assertEquals(List.of(new TopTokens.Token(6, 7), new TopTokens.Token(1, 3), new TopTokens.Token(3, 3),
                new TopTokens.Token(7, 3)), top);
        assertEquals("6 (7.0000)  1 (3.0000)", TopTokens.format(top.subList(0, 2)));
    }

    @Test
    void kLargerThanTheVocabularyGivesTheWholeRowSorted() {
        assertEquals(List.of(new TopTokens.Token(1, 2), new TopTokens.Token(0, 1)),
                TopTokens.of(new float[] {1, 2}, 0, 2, 5));
    }
}
