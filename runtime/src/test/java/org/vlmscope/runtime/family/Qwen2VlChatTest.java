package org.vlmscope.runtime.family;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.vlmscope.core.VlmscopeException;
import org.vlmscope.runtime.text.PromptTemplates.Fidelity;
import org.vlmscope.runtime.text.PromptTemplates.Variant;

/**
 * The Qwen2-VL prompt against its chat template rendered by hand. {@link #INSTRUCT} is Qwen2-VL-2B-Instruct's
 * chat_template.json (the same text sits in its tokenizer_config.json); {@link #WITHOUT_SYSTEM} is the same template
 * without the default system turn (as some Qwen2-VL fine-tunes ship it).
 *
 * <p>Rendered by hand for {@code messages = [{"role": "user", "content": [{"type": "image"}, {"type": "image"},
 * {"type": "text", "text": "What is this?"}]}]}, {@code add_generation_prompt=True}, {@code add_vision_id}
 * undefined: the one message is {@code loop.first} and not a system message, so the system turn comes first; then
 * {@code <|im_start|>user\n}; the content is a list, so each item in turn: an image item (its type is 'image')
 * counts up image_count, skips "Picture N: " (add_vision_id is undefined, falsy) and writes
 * {@code <|vision_start|><|image_pad|><|vision_end|>}, twice; the text item writes its text; then
 * {@code <|im_end|>\n}; the generation prompt {@code <|im_start|>assistant\n}.
 */
class Qwen2VlChatTest {
    static final String INSTRUCT = "{% set image_count = namespace(value=0) %}"
            + "{% set video_count = namespace(value=0) %}{% for message in messages %}{% if loop.first and message['role'] != 'system' %}<|im_start|>system\n"
            + "You are a helpful assistant.<|im_end|>\n{% endif %}<|im_start|>{{ message['role'] }}\n"
            + "{% if message['content'] is string %}{{ message['content'] }}<|im_end|>\n{% else %}"
            + "{% for content in message['content'] %}{% if content['type'] == 'image' or 'image' in content or "
            + "'image_url' in content %}{% set image_count.value = image_count.value + 1 %}{% if add_vision_id %}"
            + "Picture {{ image_count.value }}: {% endif %}<|vision_start|><|image_pad|><|vision_end|>"
            + "{% elif content['type'] == 'video' or 'video' in content %}"
            + "{% set video_count.value = video_count.value + 1 %}{% if add_vision_id %}Video "
            + "{{ video_count.value }}: {% endif %}<|vision_start|><|video_pad|><|vision_end|>"
            + "{% elif 'text' in content %}{{ content['text'] }}{% endif %}{% endfor %}<|im_end|>\n{% endif %}"
            + "{% endfor %}{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}";
    static final String WITHOUT_SYSTEM = INSTRUCT.replace("{% if loop.first and message['role'] != 'system' %}"
            + "<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n{% endif %}", "");
    private static final String SYSTEM = "<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n";
    private static final String TWO_IMAGES_BY_HAND = "<|im_start|>user\n<|vision_start|><|image_pad|><|vision_end|>"
            + "<|vision_start|><|image_pad|><|vision_end|>What is this?<|im_end|>\n<|im_start|>assistant\n";
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Qwen2VlRuntime QWEN = new Qwen2VlRuntime();

    @TempDir
    Path dir;

    private String rendered(int images) {
        return QWEN.promptTemplate(dir, Qwen2VlRuntimeTest.manifest(), Variant.GENERATIVE, Fidelity.PAPER, images)
                .render("What is this?");
    }

    private void write(String file, Object content) throws IOException {
        Files.writeString(dir.resolve(file), JSON.writeValueAsString(content));
    }

    @Test
    void instructTemplateOpensWithItsDefaultSystemTurn() throws IOException {
        assertTrue(WITHOUT_SYSTEM.length() < INSTRUCT.length(), "the test's template without the system turn");
        write(Qwen2VlChat.CHAT_TEMPLATE_JSON, Map.of("chat_template", INSTRUCT));
        assertEquals(SYSTEM + TWO_IMAGES_BY_HAND, rendered(2));
        assertEquals(SYSTEM + "<|im_start|>user\n<|vision_start|><|image_pad|><|vision_end|>What is this?<|im_end|>\n"
                + "<|im_start|>assistant\n", rendered(1));
    }

    @Test
    void aTemplateWithoutTheSystemTurnGetsNone() throws IOException {
        write(Qwen2VlChat.TOKENIZER_CONFIG_JSON, Map.of("chat_template", WITHOUT_SYSTEM, "eos_token", "<|im_end|>"));
        assertEquals(TWO_IMAGES_BY_HAND, rendered(2));
    }

    /** chat_template.json is the processor's template, which apply_chat_template on the processor uses. */
    @Test
    void chatTemplateJsonComesBeforeTokenizerConfig() throws IOException {
        write(Qwen2VlChat.CHAT_TEMPLATE_JSON, Map.of("chat_template", WITHOUT_SYSTEM));
        write(Qwen2VlChat.TOKENIZER_CONFIG_JSON, Map.of("chat_template", INSTRUCT));
        assertEquals(TWO_IMAGES_BY_HAND, rendered(2));
    }

    @Test
    void namedTemplatesInTokenizerConfigUseTheDefaultOne() throws IOException {
        write(Qwen2VlChat.TOKENIZER_CONFIG_JSON, Map.of("chat_template", List.of(
                Map.of("name", "tool_use", "template", WITHOUT_SYSTEM),
                Map.of("name", "default", "template", INSTRUCT))));
        assertEquals(SYSTEM + TWO_IMAGES_BY_HAND, rendered(2));
    }

    @Test
    void withoutAChatTemplateTheInstructDefaultIsUsed() throws IOException {
        write(Qwen2VlChat.TOKENIZER_CONFIG_JSON, Map.of("eos_token", "<|im_end|>"));
        assertEquals(SYSTEM + TWO_IMAGES_BY_HAND, rendered(2));
    }

    @Test
    void aTemplateThatMarksImagesOtherwiseIsRefused() throws IOException {
        write(Qwen2VlChat.CHAT_TEMPLATE_JSON, Map.of("chat_template",
                "{% for m in messages %}USER: <image>\n{{ m['content'] }} ASSISTANT:{% endfor %}"));
        VlmscopeException e = assertThrows(VlmscopeException.class, () -> rendered(1));
        assertTrue(e.getMessage().contains(Qwen2VlChat.CHAT_TEMPLATE_JSON)
                && e.getMessage().contains("<|vision_start|><|image_pad|><|vision_end|>"), e.getMessage());
    }
}
