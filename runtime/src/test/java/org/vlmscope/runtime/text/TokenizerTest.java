package org.vlmscope.runtime.text;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.vlmscope.core.VlmscopeException;

class TokenizerTest {
    @TempDir
    Path tmp;

    @Test
    void aDirectoryWithoutTokenizerJsonIsNamed() {
        VlmscopeException e = assertThrows(VlmscopeException.class, () -> Tokenizer.load(tmp));
        assertTrue(e.getMessage().startsWith(tmp + " has no tokenizer.json"), e.getMessage());
        assertTrue(e.getMessage().contains("Hugging Face"), e.getMessage());
    }

    @Test
    void aFileThatIsNotJsonIsNamed() throws IOException {
        Files.writeString(tmp.resolve("tokenizer.json"), "not json");
        VlmscopeException e = assertThrows(VlmscopeException.class, () -> Tokenizer.load(tmp));
        assertTrue(e.getMessage().startsWith(tmp.resolve("tokenizer.json") + " is not valid JSON"), e.getMessage());
    }

    @Test
    void jsonTheTokenizersLibraryRejectsIsNamed() throws IOException {
        Files.writeString(tmp.resolve("tokenizer.json"), "{\"model\": {\"type\": \"Nonsense\", \"vocab\": {}}}");
        VlmscopeException e = assertThrows(VlmscopeException.class, () -> Tokenizer.load(tmp));
        assertTrue(e.getMessage().startsWith(tmp.resolve("tokenizer.json")
                + " is not a tokenizer the Hugging Face tokenizers library can load"), e.getMessage());
    }

    /**
     * A Unigram model lists its vocabulary as [piece, score] pairs, the id being the index; the ids the Rust library
     * encodes must name the pieces {@code tokenId} and {@code token} read from the file. Padding and truncation in
     * the file are overridden: a long text stays whole and unpadded.
     */
    @Test
    void unigramVocabulariesAreListsOfPieces() throws IOException {
        Files.writeString(tmp.resolve("tokenizer.json"), """
                {"version": "1.0",
                 "truncation": {"direction": "Right", "max_length": 3, "strategy": "LongestFirst", "stride": 0},
                 "padding": {"strategy": {"Fixed": 16}, "direction": "Right", "pad_to_multiple_of": null,
                             "pad_id": 0, "pad_type_id": 0, "pad_token": "<unk>"},
                 "added_tokens": [{"id": 4, "content": "<x>", "single_word": false, "lstrip": false,
                                   "rstrip": false, "normalized": false, "special": true}],
                 "normalizer": null,
                 "pre_tokenizer": {"type": "Metaspace", "replacement": "\u2581", "prepend_scheme": "first",
                                   "split": true},
                 "post_processor": null,
                 "decoder": {"type": "Metaspace", "replacement": "\u2581", "prepend_scheme": "first",
                             "split": true},
                 "model": {"type": "Unigram", "unk_id": 0, "byte_fallback": false,
                           "vocab": [["<unk>", 0.0], ["\u2581a", -1.0], ["\u2581b", -1.5], ["c", -2.0]]}}
                """);
        try (Tokenizer t = Tokenizer.load(tmp)) {
            long[] ids = t.encode("a b a<x>c b a b");
            assertArrayEquals(new long[] {1, 2, 1, 4, 3, 2, 1, 2}, ids);
            assertEquals(1, t.tokenId("\u2581a"));
            assertEquals(3, t.tokenId("c"));
            assertEquals(4, t.tokenId("<x>"));
            assertEquals("\u2581b", t.token(2));
            assertEquals("a b a<x>c b a b", t.decode(ids, false));
            assertEquals("a b ac b a b", t.decode(ids, true));
            VlmscopeException e = assertThrows(VlmscopeException.class, () -> t.tokenId("a"));
            assertTrue(e.getMessage().contains("'a' is not a token of " + tmp.resolve("tokenizer.json")),
                    e.getMessage());
        }
    }
}
