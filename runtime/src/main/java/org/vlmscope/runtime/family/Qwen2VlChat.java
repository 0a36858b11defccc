package org.vlmscope.runtime.family;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.vlmscope.core.JsonErrors;
import org.vlmscope.core.VlmscopeException;
import org.vlmscope.runtime.text.PromptTemplate;

/**
 * Qwen2-VL's chat markup for the prompts vlmscope builds: what Hugging Face's
 * {@code apply_chat_template(messages, add_generation_prompt=True)} renders for one user turn whose content is the
 * images, then the question ({@code [{"type": "image"}, ..., {"type": "text", "text": question}]}):
 * {@code [system turn]<|im_start|>user\n} + one {@code <|vision_start|><|image_pad|><|vision_end|>} per image +
 * {@code question<|im_end|>\n<|im_start|>assistant\n}.
 *
 * <p>Qwen2-VL-Instruct's template opens a conversation without a system message with a default system turn
 * ({@link #DEFAULT_SYSTEM_TURN}); a template may leave it out. vlmscope has no Jinja engine in the runtime, so it
 * reads that one fact from the model directory's chat template ({@value #CHAT_TEMPLATE_JSON}, else
 * {@value #TOKENIZER_CONFIG_JSON}, as the export copied them from the checkpoint): the template's literal
 * {@code <|im_start|>system\n...<|im_end|>\n} text, when it has one, is the system turn. A template that does not
 * mark images as {@link #IMAGE_BLOCK} is refused rather than rendered differently from it. Without a chat template
 * the documented default (Qwen2-VL-Instruct's, with the default system turn) is used.
 */
final class Qwen2VlChat {
    static final String CHAT_TEMPLATE_JSON = "chat_template.json";
    static final String TOKENIZER_CONFIG_JSON = "tokenizer_config.json";
    /** Where the tokenizer's image token goes; expanded to the image's visual tokens. */
    static final String IMAGE_PAD = "<|image_pad|>";
    /** How the chat template marks one image of the user's content. */
    static final String IMAGE_BLOCK = "<|vision_start|>" + IMAGE_PAD + "<|vision_end|>";
    /** Qwen2-VL-Instruct's system turn for a conversation that brings none. */
    static final String DEFAULT_SYSTEM_TURN = "<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n";
    private static final String SYSTEM_OPEN = "<|im_start|>system\n";
    private static final String TURN_END = "<|im_end|>\n";
    private static final String GENERATION_PROMPT = "<|im_start|>assistant\n";
    private static final ObjectMapper JSON = new ObjectMapper();

    /** The system turn the template writes before the user's turn; "" for none. */
    private final String systemTurn;

    private Qwen2VlChat(String systemTurn) {
        this.systemTurn = systemTurn;
    }

    /** The chat markup of the model in {@code modelDir}. */
    static Qwen2VlChat of(Path modelDir) {
        for (String file : List.of(CHAT_TEMPLATE_JSON, TOKENIZER_CONFIG_JSON)) {
            Path path = modelDir.resolve(file);
            String jinja = Files.isRegularFile(path) ? chatTemplate(path) : null;
            if (jinja != null) {
                return fromTemplate(jinja, file);
            }
        }
        return new Qwen2VlChat(DEFAULT_SYSTEM_TURN);
    }

    /** The markup that the Jinja chat template {@code jinja} (read from {@code source}) renders. */
    static Qwen2VlChat fromTemplate(String jinja, String source) {
        if (!jinja.contains(IMAGE_BLOCK) || !jinja.contains(GENERATION_PROMPT)) {
            throw new VlmscopeException("the chat template in " + source + " does not mark an image as " + IMAGE_BLOCK
                    + " or open the answer with " + PromptTemplate.quote(GENERATION_PROMPT) + "; vlmscope renders "
                    + "Qwen2-VL's own chat markup only: give the whole prompt with a raw prompt instead");
        }
        return new Qwen2VlChat(literalSystemTurn(jinja));
    }

    /**
     * The first {@code <|im_start|>system\n...<|im_end|>\n} of the template whose text is literal (no Jinja tag in
     * it): the turn the template writes when the conversation brings no system message; "" when there is none.
     */
    private static String literalSystemTurn(String jinja) {
        for (int at = jinja.indexOf(SYSTEM_OPEN); at >= 0; at = jinja.indexOf(SYSTEM_OPEN, at + 1)) {
            int end = jinja.indexOf(TURN_END, at);
            if (end < 0) {
                break;
            }
            String turn = jinja.substring(at, end + TURN_END.length());
            if (!turn.contains("{{") && !turn.contains("{%") && !turn.contains("{#")) {
                return turn;
            }
        }
        return "";
    }

    /** The Jinja source of {@code file}'s chat_template, or null when it has none. */
    private static String chatTemplate(Path file) {
        JsonNode t = JsonErrors.read(JSON, file).path("chat_template");
        if (t.isTextual()) {
            return t.asText();
        }
        // tokenizer_config.json may list named templates; the default one is the chat template.
        for (JsonNode named : t) {
            if ("default".equals(named.path("name").asText()) && named.path("template").isTextual()) {
                return named.get("template").asText();
            }
        }
        return null;
    }

    /** One user turn holding {@code images} images, then the {@link PromptTemplate#PROMPT} slot; the answer opened. */
    String turn(int images) {
        return systemTurn + "<|im_start|>user\n" + IMAGE_BLOCK.repeat(images) + PromptTemplate.PROMPT + TURN_END
                + GENERATION_PROMPT;
    }
}
