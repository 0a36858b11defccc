package org.vlmscope.experiments.run;

import java.util.Arrays;
import java.util.regex.Pattern;
import org.vlmscope.core.VlmscopeException;
import org.vlmscope.runtime.text.Tokenizer;

/**
 * The first sub-word of an object name, as the model would write it after "It is a": the first id of the name
 * tokenized without special tokens (a SentencePiece tokenizer marks the word start, {@code ▁cat}). {@code text}
 * is that id decoded alone (what the code fidelity's VQA rule compares), {@code piece} its vocabulary spelling
 * (what the logit lens matches).
 */
public record ObjectToken(String object, long id, String text, String piece) {
    /** A byte-fallback piece such as {@code <0xE7>}: part of a character, not a sub-word. */
    private static final Pattern BYTE_PIECE = Pattern.compile("<0x[0-9A-Fa-f]{2}>");

    /**
     * The object's first sub-word; refuses a name the tokenizer cannot express as a word: one that tokenizes to
     * nothing, to the unknown token, or whose first piece carries no text of its own (a bare word-start marker
     * before byte-fallback pieces).
     */
    public static ObjectToken of(Tokenizer tokenizer, String object, String where) {
        long[] ids = object == null ? new long[0] : tokenizer.encode(object, false);
        if (ids.length == 0) {
            throw new VlmscopeException(where + ": the object name '" + object + "' tokenizes to nothing: expected "
                    + "a name the model's tokenizer can write");
        }
        String piece = tokenizer.token(ids[0]);
        String text = tokenizer.decode(new long[] {ids[0]}, true);
        if (text.isBlank() || BYTE_PIECE.matcher(piece).matches() || piece.equals("<unk>")) {
            throw new VlmscopeException(where + ": the tokenizer cannot express the object name '" + object
                    + "' as a word (its pieces are " + Arrays.toString(pieces(tokenizer, ids))
                    + "): expected a first sub-word with text of its own");
        }
        return new ObjectToken(object, ids[0], text, piece);
    }

    private static String[] pieces(Tokenizer tokenizer, long[] ids) {
        return Arrays.stream(ids).mapToObj(tokenizer::token).toArray(String[]::new);
    }
}
