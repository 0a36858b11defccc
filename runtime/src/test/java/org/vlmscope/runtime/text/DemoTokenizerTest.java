package org.vlmscope.runtime.text;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.vlmscope.core.ModelManifest;
import org.vlmscope.core.VlmscopeException;
import org.vlmscope.models.DemoCheckpoint;
import org.vlmscope.runtime.text.PromptTemplates.Fidelity;
import org.vlmscope.runtime.text.PromptTemplates.Variant;

/** The demo checkpoint's generated tokenizer, run by the Hugging Face tokenizers library. */
class DemoTokenizerTest {
    @TempDir
    static Path tmp;
    static Tokenizer tokenizer;

    @BeforeAll
    static void load() {
        DemoCheckpoint.write(tmp);
        tokenizer = Tokenizer.load(tmp);
    }

    @AfterAll
    static void close() {
        tokenizer.close();
    }

    @Test
    void theDemoPromptGivesTheDemoIdsWordByWord() {
        long[] ids = tokenizer.encode(DemoCheckpoint.DEMO_PROMPT);
        assertArrayEquals(DemoCheckpoint.demoInputIds(), ids);
        List<String> tokens = Arrays.stream(ids).mapToObj(tokenizer::token).toList();
        assertEquals(List.of("<s>", "\u2581USER", ":", "\u2581", "<image>", "<0x0A>", "What", "\u2581is", "\u2581in",
                "\u2581this", "\u2581image", "?", "\u2581ASSISTANT", ":"), tokens);
    }

    @Test
    void specialTokensHaveTheModelsIds() {
        assertEquals(0, tokenizer.tokenId("<unk>"));
        assertEquals(1, tokenizer.tokenId("<s>"));
        assertEquals(2, tokenizer.tokenId("</s>"));
        assertEquals(1000, tokenizer.tokenId("<image>"));
        assertEquals(1001, tokenizer.tokenId("<pad>"));
        assertEquals(13, tokenizer.tokenId("<0x0A>"));
        assertArrayEquals(new long[] {1000}, tokenizer.encode("<image>", false));
    }

    @Test
    void theDemoPromptDecodesBack() {
        long[] ids = tokenizer.encode(DemoCheckpoint.DEMO_PROMPT);
        assertEquals(DemoCheckpoint.DEMO_PROMPT, tokenizer.decode(Arrays.copyOfRange(ids, 1, ids.length), false));
        assertEquals("<s> " + DemoCheckpoint.DEMO_PROMPT, tokenizer.decode(ids, false));
        assertEquals("USER: \nWhat is in this image? ASSISTANT:", tokenizer.decode(ids, true));
    }

    /** Byte fallback: any text, also outside the word list and ASCII, encodes within the 1024 ids and decodes back. */
    @Test
    void anyTextRoundTripsWithinTheModelsVocabulary() {
        for (String text : List.of("Is there a giraffe in this picture?", "xyzzy quux", "tab\tand\nnewline",
                "Caf\u00e9 na\u00efve \u65e5\u672c \ud83d\udc36", "trailing ", "")) {
            long[] ids = tokenizer.encode(text);
            assertEquals(1, ids[0], text);
            assertTrue(Arrays.stream(ids).allMatch(id -> id > 0 && id < 1000), text + " -> " + Arrays.toString(ids));
            assertEquals(text, tokenizer.decode(ids, true), text);
        }
        assertEquals(5, tokenizer.encode("Is there a giraffe").length, "common words are single tokens");
    }

    /**
     * As in Hugging Face's Llama tokenizers converted with {@code legacy=false}: a text that starts with a space gets
     * no extra {@code ▁}, but the decoder still strips one leading space, so one of the leading spaces is lost.
     */
    @Test
    void oneLeadingSpaceIsLostAsInLlamaTokenizers() {
        long[] ids = tokenizer.encode("  two leading spaces");
        assertEquals(List.of("<s>", "\u2581", "\u2581two"),
                Arrays.stream(ids).limit(3).mapToObj(tokenizer::token).toList());
        assertEquals(" two leading spaces", tokenizer.decode(ids, true));
    }

    @Test
    void promptsBuildTheDemoSequence() {
        PromptTemplate template = PromptTemplates.of("llava-1.5", Variant.GENERATIVE, Fidelity.PAPER);
        Sequence s = Prompts.build(tokenizer, template, "What is in this image?", DemoCheckpoint.VISUAL_TOKENS,
                DemoCheckpoint.IMAGE_TOKEN, 24);
        assertEquals(4, s.start());
        assertEquals(14 - 1 + 576, s.length());
        long[] ids = s.ids();
        assertTrue(IntStream.range(4, 580).allMatch(p -> ids[p] == 1000));
        assertArrayEquals(Arrays.copyOfRange(DemoCheckpoint.demoInputIds(), 5, 14), Arrays.copyOfRange(ids, 580, 589));
        assertArrayEquals(IntStream.range(580, 589).toArray(), s.textPositionsAfterImage());

        ModelManifest m = PromptTemplatesTest.manifest(null);
        assertEquals(s, Prompts.build(tokenizer, template, "What is in this image?", m));
    }

    @Test
    void anImageIsRefusedWithoutAPlaceholderAndTwoAreRefused() {
        PromptTemplate textOnly = new PromptTemplate("llava-1.5", "USER: {prompt} ASSISTANT:");
        VlmscopeException e = assertThrows(VlmscopeException.class,
                () -> Prompts.build(tokenizer, textOnly, "Hi", 576, 1000, 24));
        assertTrue(e.getMessage().contains("\"USER: {prompt} ASSISTANT:\" has no <image> placeholder"),
                e.getMessage());
        PromptTemplate chat = PromptTemplates.of("llava-1.5", Variant.GENERATIVE, Fidelity.PAPER);
        VlmscopeException twice = assertThrows(VlmscopeException.class,
                () -> Prompts.build(tokenizer, chat, "<image> and this?", 576, 1000, 24));
        assertTrue(twice.getMessage().contains("holds <image>"), twice.getMessage());
    }
}
