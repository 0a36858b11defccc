package org.vlmscope.cli;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.stream.Collectors;

/** The k largest logits of a row, as the next-token candidates a user reads first. */
final class TopTokens {
    record Token(int id, float logit) {
        @Override
        public String toString() {
            return String.format(Locale.ROOT, "%d (%.4f)", id, logit);
        }
    }

    private TopTokens() {
    }

    /**
     * The {@code k} largest of {@code logits[from, from + vocab)}, largest first; ties go to the lower id, as
     * torch.topk and argmax do on CPU.
     */
    static List<Token> of(float[] logits, int from, int vocab, int k) {
        List<Token> top = new ArrayList<>(k + 1);
        for (int id = 0; id < vocab; id++) {
            float v = logits[from + id];
            if (top.size() == k && !(v > top.get(k - 1).logit())) {
                continue;
            }
            int at = top.size();
            while (at > 0 && v > top.get(at - 1).logit()) {
                at--;
            }
            top.add(at, new Token(id, v));
            if (top.size() > k) {
                top.remove(k);
            }
        }
        return top;
    }

    static String format(List<Token> tokens) {
        return tokens.stream().map(Token::toString).collect(Collectors.joining("  "));
    }
}
