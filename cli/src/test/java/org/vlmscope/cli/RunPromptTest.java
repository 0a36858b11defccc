package org.vlmscope.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.stream.IntStream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.vlmscope.runtime.input.ModelInput;
import org.vlmscope.core.SafetensorsFile;
import org.vlmscope.core.SafetensorsWriter.NamedTensor;
import org.vlmscope.models.DemoCheckpoint;
import org.vlmscope.runtime.intervene.Intervention;

/**
 * {@code run} and {@code attribute} on text and an image file, on the demo model: the question rendered into the
 * model's template, tokenized, the picture decoded and preprocessed, checked against the demo's own ids and pixel
 * values and the runtime's own answer on them.
 */
class RunPromptTest {
    private static final String QUESTION = "What is in this image?";
    private static final int VISUAL_START = 4;
    private static final int VISUAL_TOKENS = 576;
    private static final int LENGTH = DemoCheckpoint.demoInputIds().length - 1 + VISUAL_TOKENS;

    @TempDir
    static Path shared;
    static DemoModel demo;
    /** The demo prompt as prepared ids and pixels, the way --inputs takes it. */
    static Path prepared;

    @TempDir
    Path tmp;

    @BeforeAll
    static void export() {
        demo = DemoModel.write(shared);
        long[] ids = DemoCheckpoint.demoInputIds();
        prepared = RunCommandTest.writeInputs(shared.resolve("prepared.safetensors"),
                NamedTensor.ofLongs("input_ids", new long[] {1, ids.length}, ids), DemoModel.pixelValues());
    }

    /**
     * The PNG is already 336x336, so the processor only rescales and normalises: its output must be the demo's
     * pixel values to the bit, which DemoCheckpoint computes on its own from the same integer colours.
     */
    @Test
    void demoPictureThroughTheImagePathIsTheDemoPixelValues() {
        NamedTensor px = ModelInput.pixelValues(demo.model(), demo.image());
        assertArrayEquals(new long[] {1, 3, 336, 336}, px.shape());
        assertArrayEquals(DemoCheckpoint.demoPixelValues(), px.toFloatArray());
    }

    @Test
    void promptPrintsTheAnswerAndCachesThePromptAndItsPositions() {
        Path cache = tmp.resolve("prompt.safetensors");
        Cli.Result r = Cli.ok("run", demo.model().toString(), "--image", demo.image().toString(), "--prompt", QUESTION,
                "--max-new-tokens", "4", "--cache", cache.toString(), "--hooks", "blocks.0.hook_resid_pre",
                "--device", "cpu");
        DemoModel.Answer want = demo.referenceAnswer(4, List.of());
        assertEquals(4, want.ids().length, "the demo model does not stop within 4 tokens");
        assertTrue(r.out().contains("input: " + LENGTH + " positions, visual tokens " + VISUAL_START + "-"
                + (VISUAL_START + VISUAL_TOKENS - 1) + " from " + demo.image().toAbsolutePath().normalize()
                + "; prompt " + org.vlmscope.runtime.text.PromptTemplate.quote(DemoCheckpoint.DEMO_PROMPT)), r::toString);
        assertTrue(r.out().contains("answer (4 tokens: " + want.idList() + "): " + org.vlmscope.runtime.text.PromptTemplate.quote(want.text())),
                r::toString);

        Path fromIds = tmp.resolve("ids.safetensors");
        Cli.ok("run", demo.model().toString(), "--inputs", prepared.toString(), "--cache", fromIds.toString(),
                "--device", "cpu");
        try (SafetensorsFile c = SafetensorsFile.open(cache); SafetensorsFile ids = SafetensorsFile.open(fromIds)) {
            // The same ids and the same pixels, to the bit: the same logits.
            assertArrayEquals(ids.toFloatArray("logits"), c.toFloatArray("logits"));
            assertArrayEquals(new long[] {1, LENGTH, 64}, c.info("blocks.0.hook_resid_pre").shape());
            Map<String, String> meta = c.metadata();
            assertEquals(demo.image().toAbsolutePath().normalize().toString(), meta.get("image"));
            assertEquals(QUESTION, meta.get("prompt"));
            assertEquals("llava-1.5 generative paper", meta.get("prompt_template"));
            assertEquals(DemoCheckpoint.DEMO_PROMPT, meta.get("prompt_rendered"));
            assertEquals(Integer.toString(LENGTH), meta.get("sequence_length"));
            assertEquals(Integer.toString(VISUAL_START), meta.get("visual_start"));
            assertEquals(Integer.toString(VISUAL_TOKENS), meta.get("visual_tokens"));
            assertEquals(want.text(), meta.get("answer"));
            assertEquals(want.idList(), meta.get("answer_ids"));
            assertEquals("CPUExecutionProvider", meta.get("provider"));
            assertFalse(meta.containsKey("inputs"));
        }
    }

    /** A text prompt answers in 20 tokens unless told otherwise; 0 asks for the forward pass alone. */
    @Test
    void maxNewTokensDefaultsToTwentyForText() {
        Cli.Result r = Cli.ok("run", demo.model().toString(), "--image", demo.image().toString(), "--prompt",
                QUESTION, "--device", "cpu");
        DemoModel.Answer want = demo.referenceAnswer(20, List.of());
        assertTrue(r.out().contains("answer (" + want.ids().length + " tokens: " + want.idList() + "): "), r::toString);

        Cli.Result none = Cli.ok("run", demo.model().toString(), "--image", demo.image().toString(), "--prompt",
                QUESTION, "--max-new-tokens", "0", "--device", "cpu");
        assertFalse(none.out().contains("answer"), none::toString);
        assertTrue(none.out().contains("top-5 next tokens (id (logit)): " + want.ids()[0] + " ("), none::toString);
    }

    @Test
    void rawPromptIsTokenizedVerbatim() {
        Path cache = tmp.resolve("raw.safetensors");
        Cli.Result r = Cli.ok("run", demo.model().toString(), "--image", demo.image().toString(), "--raw-prompt",
                DemoCheckpoint.DEMO_PROMPT, "--max-new-tokens", "3", "--cache", cache.toString(), "--device", "cpu");
        DemoModel.Answer want = demo.referenceAnswer(3, List.of());
        assertTrue(r.out().contains("answer (3 tokens: " + want.idList() + "): "), r::toString);
        try (SafetensorsFile c = SafetensorsFile.open(cache)) {
            assertEquals("raw", c.metadata().get("prompt_template"));
            assertEquals(DemoCheckpoint.DEMO_PROMPT, c.metadata().get("prompt"));
            assertEquals(DemoCheckpoint.DEMO_PROMPT, c.metadata().get("prompt_rendered"));
            assertEquals(Integer.toString(VISUAL_START), c.metadata().get("visual_start"));
        }
    }

    @Test
    void vqaAndFidelityChooseTheTemplate() {
        Path vqa = tmp.resolve("vqa.safetensors");
        Cli.ok("run", demo.model().toString(), "--image", demo.image().toString(), "--prompt", QUESTION, "--vqa",
                "--max-new-tokens", "0", "--cache", vqa.toString(), "--device", "cpu");
        Path code = tmp.resolve("code.safetensors");
        Cli.ok("run", demo.model().toString(), "--image", demo.image().toString(), "--prompt", QUESTION,
                "--fidelity", "CODE", "--max-new-tokens", "0", "--cache", code.toString(), "--device", "cpu");
        try (SafetensorsFile v = SafetensorsFile.open(vqa); SafetensorsFile c = SafetensorsFile.open(code)) {
            assertEquals("llava-1.5 vqa paper", v.metadata().get("prompt_template"));
            assertEquals(DemoCheckpoint.DEMO_PROMPT + " It is a", v.metadata().get("prompt_rendered"));
            assertEquals("llava-1.5 generative code", c.metadata().get("prompt_template"));
            // LLaVA-1.5's code template is the paper's: the same prompt.
            assertEquals(DemoCheckpoint.DEMO_PROMPT, c.metadata().get("prompt_rendered"));
        }
    }

    @Test
    void textOnlyRawPromptRunsWithoutAnImage() {
        Path cache = tmp.resolve("text.safetensors");
        Cli.Result r = Cli.ok("run", demo.model().toString(), "--raw-prompt", "USER: What is this? ASSISTANT:",
                "--max-new-tokens", "2", "--cache", cache.toString(), "--device", "cpu");
        assertTrue(r.out().contains(" positions, text only; prompt \"USER: What is this? ASSISTANT:\""), r::toString);
        assertTrue(r.out().contains("answer ("), r::toString);
        try (SafetensorsFile c = SafetensorsFile.open(cache)) {
            assertFalse(c.metadata().containsKey("visual_start"));
            assertFalse(c.metadata().containsKey("image"));
        }
    }

    /** Ablation patches the prompt's embeddings; the answer is generated from that prompt. */
    @Test
    void interventionsShapeTheAnswer() {
        float[] vector = new float[64];
        Arrays.fill(vector, 0.05f);
        Path file = RunCommandTest.writeInputs(tmp.resolve("v.safetensors"),
                NamedTensor.ofFloats("v", new long[] {64}, vector));
        Path cache = tmp.resolve("ablated.safetensors");
        Cli.Result r = Cli.ok("run", demo.model().toString(), "--image", demo.image().toString(), "--prompt", QUESTION,
                "--ablate", "4-579", "--ablate-with", file.toString(), "--max-new-tokens", "5",
                "--cache", cache.toString(), "--device", "cpu");
        int[] visual = IntStream.range(VISUAL_START, VISUAL_START + VISUAL_TOKENS).toArray();
        DemoModel.Answer want = demo.referenceAnswer(5, List.of(new Intervention.Ablation(visual, vector)));
        DemoModel.Answer clean = demo.referenceAnswer(5, List.of());
        assertFalse(Arrays.equals(want.ids(), clean.ids()), "the ablation should change the demo's answer");
        assertTrue(r.out().contains("answer (" + want.ids().length + " tokens: " + want.idList() + "): "),
                r::toString);
        try (SafetensorsFile c = SafetensorsFile.open(cache)) {
            assertEquals("4-579", c.metadata().get("ablate"));
            assertEquals(want.idList(), c.metadata().get("answer_ids"));
        }
    }

    /** attribute takes its input through the same options: the prompt and the prepared ids give the same scores. */
    @Test
    void attributeTakesAnImageAndAPrompt() {
        Path fromPrompt = tmp.resolve("prompt-ig.safetensors");
        Cli.Result r = Cli.ok("attribute", demo.model().toString(), "--image", demo.image().toString(), "--prompt",
                QUESTION, "--target", "434", "--method", "gxi", "-o", fromPrompt.toString(), "--device", "cpu");
        assertTrue(r.out().contains("prompt " + org.vlmscope.runtime.text.PromptTemplate.quote(DemoCheckpoint.DEMO_PROMPT)), r::toString);
        Path fromIds = tmp.resolve("ids-ig.safetensors");
        Cli.ok("attribute", demo.model().toString(), "--inputs", prepared.toString(), "--target", "434",
                "--method", "gxi", "-o", fromIds.toString(), "--device", "cpu");
        try (SafetensorsFile p = SafetensorsFile.open(fromPrompt); SafetensorsFile i = SafetensorsFile.open(fromIds)) {
            assertEquals(LENGTH, p.toFloatArray("ig.scores").length);
            assertArrayEquals(i.toFloatArray("ig.scores"), p.toFloatArray("ig.scores"));
            assertEquals(DemoCheckpoint.DEMO_PROMPT, p.metadata().get("prompt_rendered"));
            assertEquals(Integer.toString(VISUAL_START), p.metadata().get("visual_start"));
            assertEquals(prepared.toAbsolutePath().normalize().toString(), i.metadata().get("inputs"));
        }
    }
}
