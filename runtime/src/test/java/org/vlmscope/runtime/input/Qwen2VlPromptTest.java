package org.vlmscope.runtime.input;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.vlmscope.runtime.image.ImageGrid;
import org.vlmscope.runtime.image.QwenFixture;
import org.vlmscope.runtime.image.TokenGrid;
import org.vlmscope.runtime.text.PromptTemplates.Fidelity;
import org.vlmscope.runtime.text.PromptTemplates.Variant;

/**
 * A question to Qwen2-VL: rendered into its chat template (Qwen2-VL-Instruct's default system turn, as the model
 * directory has no chat template; see Qwen2VlChatTest), tokenized (a small word-level tokenizer with Qwen2-VL's
 * special tokens at the qwen2vl-dev ids, listed in its vocabulary too so the library keeps those ids) and each
 * {@code <|image_pad|>} expanded to its image's visual tokens between {@code <|vision_start|>} and
 * {@code <|vision_end|>}: the fixture's 400x300 image gives 6 x 8 = 48; a 200x150 one, by smart_resize
 * (round(150 / 28) * 28 = 140 rows, round(200 / 28) * 28 = 196 columns: 10 x 14 patches), 5 x 7 = 35.
 */
class Qwen2VlPromptTest {
    private static final long IM_START = 1240;
    private static final long IM_END = 1241;
    private static final long VISION_START = 1242;
    private static final long VISION_END = 1243;
    private static final long IMAGE_PAD = 1244;
    /** {@code <|im_start|> system You are a helpful assistant . <|im_end|> <|im_start|> user}. */
    private static final long[] OPENING = {IM_START, 7, 8, 9, 10, 11, 2, 12, IM_END, IM_START, 1};
    /** {@code What is this ? <|im_end|> <|im_start|> assistant}. */
    private static final long[] CLOSING = {3, 4, 5, 6, IM_END, IM_START, 2};

    @TempDir
    Path model;

    @BeforeEach
    void modelDirectory() throws IOException {
        Files.copy(QwenFixture.dir().resolve("model/preprocessor_config.json"),
                model.resolve("preprocessor_config.json"));
        Files.writeString(model.resolve("tokenizer.json"), tokenizer());
    }

    /** The opening, then for each image its vision start, its visual tokens and its vision end, then the closing. */
    private static long[] expected(int... tokens) {
        List<Long> ids = new ArrayList<>();
        Arrays.stream(OPENING).forEach(ids::add);
        for (int n : tokens) {
            ids.add(VISION_START);
            for (int k = 0; k < n; k++) {
                ids.add(IMAGE_PAD);
            }
            ids.add(VISION_END);
        }
        Arrays.stream(CLOSING).forEach(ids::add);
        return ids.stream().mapToLong(Long::longValue).toArray();
    }

    @Test
    void questionIsRenderedTokenizedAndExpandedToTheImagesTokens() {
        InputRequest request = InputRequest.question("What is this ?", Variant.GENERATIVE, Fidelity.PAPER,
                QwenFixture.dir().resolve("image.png"));
        try (ModelInput.Prepared p = ModelInput.prepare(model, QwenFixture.manifest(), request)) {
            assertArrayEquals(expected(48), p.ids()[0]);
            assertEquals(new TokenGrid(6, 8), p.grid());
            assertEquals(12, p.visualPositions()[0]);
            assertEquals(48, p.visualPositions().length);
            assertTrue(p.metadata().get("prompt_rendered").startsWith("<|im_start|>system\nYou are a helpful "
                    + "assistant.<|im_end|>\n<|im_start|>user\n<|vision_start|><|image_pad|>"),
                    p.metadata().toString());
            assertEquals(List.of(new ImageGrid(1, 12, 16)), p.vision().grids());
        }
    }

    /** Two images, in the order given: each placeholder takes its own image's grid; one vision input holds both. */
    @Test
    void twoImagesEachTakeTheirOwnGrid() throws IOException {
        Path first = QwenFixture.dir().resolve("image.png");
        Path second = model.resolve("small.png");
        ImageIO.write(new BufferedImage(200, 150, BufferedImage.TYPE_INT_RGB), "png", second.toFile());
        InputRequest request = InputRequest.question("What is this ?", Variant.GENERATIVE, Fidelity.PAPER,
                List.of(first, second));
        try (ModelInput.Prepared p = ModelInput.prepare(model, QwenFixture.manifest(), request)) {
            assertArrayEquals(expected(48, 35), p.ids()[0]);
            assertEquals(List.of(new ImageGrid(1, 12, 16), new ImageGrid(1, 10, 14)), p.vision().grids());
            assertArrayEquals(new long[] {192 + 140, 1176}, p.vision().pixelValues().shape());
            assertEquals(48 + 35, p.visualPositions().length);
            assertEquals(62, p.visualPositions()[48]);
            assertEquals(new TokenGrid(6, 8), p.grid());
            String a = first.toAbsolutePath().normalize().toString();
            String b = second.toAbsolutePath().normalize().toString();
            assertTrue(p.summary().contains("visual tokens 12-59 from " + a + ", 62-96 from " + b), p.summary());
            assertEquals(a + File.pathSeparator + b, p.metadata().get("image"));
        }
        // A raw prompt places the images itself: one <|image_pad|> per image, in order.
        String raw = "<|im_start|> user <|vision_start|><|image_pad|><|vision_end|> What <|vision_start|>"
                + "<|image_pad|><|vision_end|> this ?";
        try (ModelInput.Prepared p = ModelInput.prepare(model, QwenFixture.manifest(),
                InputRequest.raw(raw, List.of(second, first)))) {
            // <|im_start|> user, the small image's 35 tokens in its vision tags, What, the large image's 48, this ?
            long[] ids = p.ids()[0];
            assertEquals(2 + 1 + 35 + 1 + 1 + 1 + 48 + 1 + 2, ids.length);
            assertEquals(2 + 1 + 35, indexOf(ids, VISION_END));
            assertEquals(List.of(new ImageGrid(1, 10, 14), new ImageGrid(1, 12, 16)), p.vision().grids());
            assertTrue(p.summary().contains("visual tokens 3-37 from "), p.summary());
        }
    }

    private static int indexOf(long[] ids, long id) {
        for (int i = 0; i < ids.length; i++) {
            if (ids[i] == id) {
                return i;
            }
        }
        return -1;
    }

    private static String tokenizer() {
        String added = special(IM_START, "<|im_start|>") + "," + special(IM_END, "<|im_end|>") + ","
                + special(VISION_START, "<|vision_start|>") + "," + special(VISION_END, "<|vision_end|>") + ","
                + special(IMAGE_PAD, "<|image_pad|>");
        return "{\"version\": \"1.0\", \"truncation\": null, \"padding\": null, \"added_tokens\": [" + added + "],"
                + " \"normalizer\": null, \"pre_tokenizer\": {\"type\": \"Whitespace\"}, \"post_processor\": null,"
                + " \"decoder\": null, \"model\": {\"type\": \"WordLevel\", \"vocab\": {\"[UNK]\": 0, \"user\": 1,"
                + " \"assistant\": 2, \"What\": 3, \"is\": 4, \"this\": 5, \"?\": 6, \"system\": 7, \"You\": 8,"
                + " \"are\": 9, \"a\": 10, \"helpful\": 11, \".\": 12, \"<|im_start|>\": " + IM_START
                + ", \"<|im_end|>\": " + IM_END + ", \"<|vision_start|>\": " + VISION_START + ", \"<|vision_end|>\": "
                + VISION_END + ", \"<|image_pad|>\": " + IMAGE_PAD + "}, \"unk_token\": \"[UNK]\"}}";
    }

    private static String special(long id, String content) {
        return "{\"id\": " + id + ", \"content\": \"" + content + "\", \"single_word\": false, \"lstrip\": false,"
                + " \"rstrip\": false, \"normalized\": false, \"special\": true}";
    }
}
