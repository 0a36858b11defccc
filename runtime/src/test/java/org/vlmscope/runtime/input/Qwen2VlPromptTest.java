package org.vlmscope.runtime.input;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.vlmscope.runtime.image.ImageGrid;
import org.vlmscope.runtime.image.QwenFixture;
import org.vlmscope.runtime.image.TokenGrid;
import org.vlmscope.runtime.text.PromptTemplates.Fidelity;
import org.vlmscope.runtime.text.PromptTemplates.Variant;

/**
 * A question to Qwen2-VL: rendered into its chat template, tokenized (a small word-level tokenizer with Qwen2-VL's
 * special tokens at the qwen2vl-dev ids, listed in its vocabulary too so the library keeps those ids) and its one {@code <|image_pad|>} expanded to the image's 6 x 8 = 48
 * visual tokens between {@code <|vision_start|>} and {@code <|vision_end|>}.
 */
class Qwen2VlPromptTest {
    private static final long IM_START = 1240;
    private static final long IM_END = 1241;
    private static final long VISION_START = 1242;
    private static final long VISION_END = 1243;
    private static final long IMAGE_PAD = 1244;

    @TempDir
    Path model;

    @Test
    void questionIsRenderedTokenizedAndExpandedToTheImagesTokens() throws IOException {
        Path fixture = QwenFixture.dir();
        Files.copy(fixture.resolve("model/preprocessor_config.json"), model.resolve("preprocessor_config.json"));
        Files.writeString(model.resolve("tokenizer.json"), tokenizer());
        InputRequest request = InputRequest.question("What is this ?", Variant.GENERATIVE, Fidelity.PAPER,
                fixture.resolve("image.png"));
        try (ModelInput.Prepared p = ModelInput.prepare(model, QwenFixture.manifest(), request)) {
            long[] ids = p.ids()[0];
            // <|im_start|> user <|vision_start|> 48 x <|image_pad|> <|vision_end|> What is this ? <|im_end|>
            // <|im_start|> assistant: the newlines are whitespace to this word-level tokenizer.
            long[] want = new long[3 + 48 + 1 + 4 + 3];
            want[0] = IM_START;
            want[1] = 1;
            want[2] = VISION_START;
            Arrays.fill(want, 3, 51, IMAGE_PAD);
            want[51] = VISION_END;
            want[52] = 3;
            want[53] = 4;
            want[54] = 5;
            want[55] = 6;
            want[56] = IM_END;
            want[57] = IM_START;
            want[58] = 2;
            assertArrayEquals(want, ids);
            assertEquals(new TokenGrid(6, 8), p.grid());
            assertEquals(3, p.visualPositions()[0]);
            assertEquals(48, p.visualPositions().length);
            assertTrue(p.metadata().get("prompt_rendered").startsWith("<|im_start|>user\n<|vision_start|><|image_pad|>"),
                    p.metadata().toString());
            assertEquals(List.of(new ImageGrid(1, 12, 16)), p.vision().grids());
        }
    }

    private static String tokenizer() {
        String added = special(IM_START, "<|im_start|>") + "," + special(IM_END, "<|im_end|>") + ","
                + special(VISION_START, "<|vision_start|>") + "," + special(VISION_END, "<|vision_end|>") + ","
                + special(IMAGE_PAD, "<|image_pad|>");
        return "{\"version\": \"1.0\", \"truncation\": null, \"padding\": null, \"added_tokens\": [" + added + "],"
                + " \"normalizer\": null, \"pre_tokenizer\": {\"type\": \"Whitespace\"}, \"post_processor\": null,"
                + " \"decoder\": null, \"model\": {\"type\": \"WordLevel\", \"vocab\": {\"[UNK]\": 0, \"user\": 1,"
                + " \"assistant\": 2, \"What\": 3, \"is\": 4, \"this\": 5, \"?\": 6, \"<|im_start|>\": " + IM_START
                + ", \"<|im_end|>\": " + IM_END + ", \"<|vision_start|>\": " + VISION_START + ", \"<|vision_end|>\": "
                + VISION_END + ", \"<|image_pad|>\": " + IMAGE_PAD + "}, \"unk_token\": \"[UNK]\"}}";
    }

    private static String special(long id, String content) {
        return "{\"id\": " + id + ", \"content\": \"" + content + "\", \"single_word\": false, \"lstrip\": false,"
                + " \"rstrip\": false, \"normalized\": false, \"special\": true}";
    }
}
