package org.vlmscope.runtime.text;

import java.util.Objects;
import org.vlmscope.core.VlmscopeException;

/**
 * A prompt with a slot for the question: {@code text} holds {@link #PROMPT} once and, for a prompt that goes with
 * an image, the image placeholder {@code image} where the visual tokens go ({@link #IMAGE} for LLaVA; Qwen2-VL's
 * is its tokenizer's {@code <|image_pad|>}). {@code family} names the model family the template belongs to
 * ({@code llava-1.5}, {@code llava-phi-3}, {@code qwen2-vl}), as in vlmscope.json's {@code promptTemplates}.
 */
public record PromptTemplate(String family, String text, String image) {
    public static final String PROMPT = "{prompt}";
    public static final String IMAGE = "<image>";

    public PromptTemplate {
        Objects.requireNonNull(family, "family");
        Objects.requireNonNull(text, "text");
        Objects.requireNonNull(image, "image");
        int first = text.indexOf(PROMPT);
        if (first < 0 || text.indexOf(PROMPT, first + 1) >= 0) {
            throw new VlmscopeException("prompt template of " + family + " must hold " + PROMPT
                    + " exactly once, where the question goes: " + quote(text));
        }
    }

    /** A template whose image placeholder is {@link #IMAGE}. */
    public PromptTemplate(String family, String text) {
        this(family, text, IMAGE);
    }

    /** The template with {@code question} in the {@link #PROMPT} slot, verbatim. */
    public String render(String question) {
        int at = text.indexOf(PROMPT);
        return text.substring(0, at) + question + text.substring(at + PROMPT.length());
    }

    public boolean hasImage() {
        return text.contains(image);
    }

    /** The template with {@code suffix} after its end, e.g. the answer start a VQA prompt makes the model continue. */
    PromptTemplate append(String suffix) {
        return new PromptTemplate(family, text + suffix, image);
    }

    /** Java-escaped in double quotes, so a prompt, template or answer with newlines prints on one line. */
    public static String quote(String text) {
        return "\"" + text.replace("\\", "\\\\").replace("\n", "\\n").replace("\"", "\\\"") + "\"";
    }
}
