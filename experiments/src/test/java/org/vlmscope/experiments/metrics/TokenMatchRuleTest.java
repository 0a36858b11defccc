package org.vlmscope.experiments.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.vlmscope.core.BadArgumentException;

class TokenMatchRuleTest {
    @Test
    void normalisingStripsTheSentencePieceMarkerAndFoldsCase() {
        TokenMatchRule rule = TokenMatchRule.parse("exact,casefold,strip-marker");
        assertEquals(TokenMatchRule.DEFAULT, rule);
        assertTrue(rule.matches("\u2581Dog", "dog"));
        assertTrue(rule.matches(" dog", "dog"));
        assertFalse(rule.matches("\u2581do", "dog"));
        assertFalse(rule.matches("\u2581", "dog"), "an empty token matches nothing");
        TokenMatchRule strict = TokenMatchRule.parse("exact");
        assertFalse(strict.matches("\u2581dog", "dog"));
        assertFalse(strict.matches("Dog", "dog"));
        assertTrue(strict.matches("dog", "dog"));
    }

    @Test
    void prefixLetsAPieceOfTheTargetCount() {
        TokenMatchRule rule = TokenMatchRule.parse("prefix,strip-marker");
        assertTrue(rule.matches("\u2581ele", "elephant"));
        assertFalse(rule.matches("\u2581elephants", "elephant"));
        assertFalse(rule.matches("\u2581Ele", "elephant"));
        assertEquals("prefix,strip-marker", rule.toString());
    }

    @Test
    void badRulesSayWhatIsExpected() {
        assertThrows(BadArgumentException.class, () -> TokenMatchRule.parse("casefold"));
        assertThrows(BadArgumentException.class, () -> TokenMatchRule.parse("exact,prefix"));
        BadArgumentException e = assertThrows(BadArgumentException.class, () -> TokenMatchRule.parse("exact,fuzzy"));
        assertTrue(e.getMessage().contains("unknown part 'fuzzy'"), e.getMessage());
    }

    @Test
    void layerFractionsCountObjectCellsWhoseTopTokenMatches() {
        // 4 cells x 2 layers; object cells 1, 2, 3. Layer 0: cell 1 matches -> 1/3; layer 1: cells 2, 3 -> 2/3.
        List<List<List<String>>> tokens = List.of(
                List.of(List.of("\u2581dog"), List.of("\u2581dog")),
                List.of(List.of("\u2581Dog"), List.of("a")),
                List.of(List.of("cat"), List.of("dog")),
                List.of(List.of("the"), List.of("\u2581DOG")));
        List<Double> f = TokenMatchRule.DEFAULT.layerFractions(tokens, List.of(1, 2, 3), "dog");
        assertEquals(List.of(1.0 / 3, 2.0 / 3), f);
    }
}
