package org.vlmscope.runtime.text;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.vlmscope.core.VlmscopeException;
import org.vlmscope.runtime.text.PromptTemplates.Fidelity;
import org.vlmscope.runtime.text.PromptTemplates.Variant;

/**
 * The llava-1.5-7b-hf tokenizer (shared/golden/tokenizer-llama, not in the repository: Llama 2 license) against ids
 * that Hugging Face's own libraries produced: the Rust fast tokenizer ({@code hf_fast_ids}), the slow
 * SentencePiece-backed LlamaTokenizer ({@code hf_slow_ids}) and SentencePiece itself.
 */
class LlamaTokenizerGoldenTest {
    private static final long IMAGE = 32000;
    private static final List<String> SPECIAL_TEXTS = List.of("<s>", "</s>", "<unk>", "<pad>", "<image>");

    static Path dir;
    static JsonNode expected;
    static Tokenizer tokenizer;

    @BeforeAll
    static void load() throws IOException {
        // Surefire runs in the module directory; the shared folder sits beside the repository.
        dir = Path.of("../../shared/golden/tokenizer-llama").toAbsolutePath().normalize();
        assumeTrue(Files.isRegularFile(dir.resolve("expected.json")),
                dir + " is absent: the Llama tokenizer golden data lives only in the shared folder, so these tests "
                        + "are skipped");
        expected = new ObjectMapper().readTree(dir.resolve("expected.json").toFile());
        tokenizer = Tokenizer.load(dir);
    }

    @AfterAll
    static void close() {
        if (tokenizer != null) {
            tokenizer.close();
        }
    }

    @Test
    void everyCaseGivesTheFastTokenizersIds() {
        JsonNode cases = expected.get("cases");
        assertEquals(31, cases.size());
        for (JsonNode c : cases) {
            String text = c.get("text").asText();
            assertArrayEquals(longs(c.get("hf_fast_ids")), tokenizer.encode(text), text);
        }
    }

    /**
     * The fast tokenizer (llava-hf's processor) and the slow one (SentencePiece rules) differ exactly for the texts
     * that hold special-token strings: tokenizer.json's normalizer prepends {@code ▁} to every piece of text between
     * special tokens, so {@code <image>\nIs} gets a lone {@code ▁} (29871) after the image token.
     */
    @Test
    void fastAndSlowIdsDifferExactlyWhereTheTextHoldsSpecialTokens() {
        List<Integer> differ = new ArrayList<>();
        List<Integer> special = new ArrayList<>();
        JsonNode cases = expected.get("cases");
        for (int i = 0; i < cases.size(); i++) {
            JsonNode c = cases.get(i);
            if (!Arrays.equals(longs(c.get("hf_fast_ids")), longs(c.get("hf_slow_ids")))) {
                differ.add(i);
            }
            String text = c.get("text").asText();
            if (SPECIAL_TEXTS.stream().anyMatch(text::contains)) {
                special.add(i);
            }
        }
        assertEquals(List.of(0, 1, 2, 3, 4, 5, 6, 7, 25, 30), differ);
        assertEquals(special, differ);

        JsonNode first = cases.get(0);
        long[] slow = longs(first.get("hf_slow_ids"));
        long[] fast = tokenizer.encode(first.get("text").asText());
        int image = indexOf(fast, IMAGE);
        assertEquals(5, image);
        assertEquals(29871, fast[image + 1]);
        long[] fastWithoutMarker = new long[fast.length - 1];
        System.arraycopy(fast, 0, fastWithoutMarker, 0, image + 1);
        System.arraycopy(fast, image + 2, fastWithoutMarker, image + 1, fast.length - image - 2);
        assertArrayEquals(slow, fastWithoutMarker);
    }

    @Test
    void withoutSpecialTokensTheIdsAreSentencePiecesAndNoBos() {
        for (JsonNode c : expected.get("cases")) {
            String text = c.get("text").asText();
            if (SPECIAL_TEXTS.stream().noneMatch(text::contains)) {
                assertArrayEquals(longs(c.get("sentencepiece_ids")), tokenizer.encode(text, false), text);
                long[] withBos = tokenizer.encode(text);
                assertEquals(1, withBos[0], text);
                assertEquals(withBos.length - 1, tokenizer.encode(text, false).length, text);
            }
        }
    }

    /** The slow tokenizer's token strings name the ids in the vocabulary, added tokens included. */
    @Test
    void tokenIdAndTokenFollowTheSlowTokenizersPieces() {
        int checked = 0;
        for (JsonNode c : expected.get("cases")) {
            JsonNode tokens = c.get("hf_slow_tokens");
            JsonNode ids = c.get("hf_slow_ids");
            assertEquals(ids.size(), tokens.size());
            for (int i = 0; i < ids.size(); i++) {
                assertEquals(ids.get(i).asLong(), tokenizer.tokenId(tokens.get(i).asText()), tokens.get(i).asText());
                assertEquals(tokens.get(i).asText(), tokenizer.token(ids.get(i).asLong()));
                checked++;
            }
        }
        assertTrue(checked > 500, "pairs checked: " + checked);
        assertEquals(32000, tokenizer.tokenId("<image>"));
        assertEquals(32001, tokenizer.tokenId("<pad>"));
        assertEquals(29871, tokenizer.tokenId("\u2581"));
        assertEquals("<0x0A>", tokenizer.token(13));
        VlmscopeException e = assertThrows(VlmscopeException.class, () -> tokenizer.token(32010));
        assertTrue(e.getMessage().contains("32010") && e.getMessage().contains("32002 tokens"), e.getMessage());
    }

    @Test
    void plainTextDecodesBackToItselfAsInTransformers() {
        int plain = 0;
        for (JsonNode c : expected.get("cases")) {
            String text = c.get("text").asText();
            long[] ids = longs(c.get("hf_fast_ids"));
            if (SPECIAL_TEXTS.stream().noneMatch(text::contains)) {
                assertEquals(text, tokenizer.decode(ids, true), text);
                assertEquals(c.get("hf_decode_skip_special").asText(), tokenizer.decode(ids, true), text);
                plain++;
            }
        }
        assertEquals(21, plain);
    }

    /**
     * Special tokens stay when asked to, and the fast tokenizer's extra {@code ▁} after {@code <image>} shows as a
     * space; skipping special tokens drops BOS and {@code <image>} but keeps the spaces around it.
     */
    @Test
    void decodingAPromptWithTheImagePlaceholder() {
        long[] ids = tokenizer.encode("USER: <image>\nIs there a dog in this image? ASSISTANT:");
        assertEquals("<s> USER: <image> \nIs there a dog in this image? ASSISTANT:", tokenizer.decode(ids, false));
        assertEquals("USER:  \nIs there a dog in this image? ASSISTANT:", tokenizer.decode(ids, true));
    }

    /**
     * LLaVA's input for prompt 0: the golden {@code llava_expanded} is the slow tokenizer's ids expanded; the fast
     * tokenizer's sequence is the same plus the one {@code ▁} right after the visual tokens.
     */
    @Test
    void llavaExpansionMatchesTheGolden() {
        JsonNode golden = expected.get("llava_expanded");
        JsonNode prompt = expected.get("cases").get(golden.get("prompt_index").asInt());
        long[] prefix = longs(golden.get("ids_prefix"));
        long[] suffix = longs(golden.get("ids_suffix"));
        int start = golden.get("image_start").asInt();

        Sequence slow = Sequence.expand(longs(prompt.get("hf_slow_ids")), IMAGE, 576, 24);
        assertEquals(golden.get("length").asInt(), slow.length());
        assertEquals(595, slow.length());
        assertEquals(start, slow.start());
        assertArrayEquals(prefix, Arrays.copyOfRange(slow.ids(), 0, start));
        assertArrayEquals(suffix, Arrays.copyOfRange(slow.ids(), start + 576, slow.length()));

        PromptTemplate template = PromptTemplates.of("llava-1.5", Variant.GENERATIVE, Fidelity.PAPER);
        Sequence fast = Prompts.build(tokenizer, template, "Is there a dog in this image?", 576, IMAGE, 24);
        assertEquals(596, fast.length());
        assertEquals(5, fast.start());
        long[] ids = fast.ids();
        assertArrayEquals(prefix, Arrays.copyOfRange(ids, 0, 5));
        assertTrue(IntStream.range(5, 581).allMatch(p -> ids[p] == IMAGE));
        assertEquals(29871, ids[581]);
        assertArrayEquals(suffix, Arrays.copyOfRange(ids, 582, 596));
        assertArrayEquals(IntStream.range(581, 596).toArray(), fast.textPositionsAfterImage());
        assertEquals(595, fast.lastPosition());
        assertEquals(580, fast.position(23, 23));
    }

    @Test
    void aTokenIdThatIsNotTheTokenizersImageTokenIsRefused() {
        PromptTemplate template = PromptTemplates.of("llava-1.5", Variant.GENERATIVE, Fidelity.PAPER);
        VlmscopeException e = assertThrows(VlmscopeException.class,
                () -> Prompts.build(tokenizer, template, "What is this?", 576, 32038, 24));
        assertTrue(e.getMessage().contains("32038") && e.getMessage().contains("do not match"), e.getMessage());
    }

    private static int indexOf(long[] ids, long id) {
        for (int i = 0; i < ids.length; i++) {
            if (ids[i] == id) {
                return i;
            }
        }
        return -1;
    }

    static long[] longs(JsonNode array) {
        long[] out = new long[array.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = array.get(i).asLong();
        }
        return out;
    }
}
