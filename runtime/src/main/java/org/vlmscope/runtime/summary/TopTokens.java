package org.vlmscope.runtime.summary;

import java.util.ArrayList;
import org.vlmscope.core.SafetensorsWriter.NamedTensor;
import java.util.List;
import java.util.Locale;
import java.util.stream.Collectors;

/** The k largest logits of a row, as the next-token candidates a user reads first. */
public final class TopTokens {
    public record Token(int id, float logit) {
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
    public static List<Token> of(float[] logits, int from, int vocab, int k) {
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

    /** Per batch row of {@code logits} [batch, seq, vocab], the {@code k} largest at the last position. */
    public static List<List<Token>> atLastPosition(NamedTensor logits, int k) {
        long[] shape = logits.shape();
        int seq = (int) shape[1];
        int vocab = (int) shape[2];
        float[] values = logits.toFloatArray();
        List<List<Token>> rows = new ArrayList<>();
        for (int b = 0; b < shape[0]; b++) {
            rows.add(of(values, (b * seq + seq - 1) * vocab, vocab, k));
        }
        return rows;
    }

    public static String format(List<Token> tokens) {
        return tokens.stream().map(Token::toString).collect(Collectors.joining("  "));
    }
}
