package org.vlmscope.cli;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.vlmscope.core.BadArgumentException;
import org.vlmscope.core.ModelManifest;
import org.vlmscope.runtime.input.InputRequest;
import org.vlmscope.runtime.input.ModelInput;
import org.vlmscope.runtime.text.PromptTemplate;
import org.vlmscope.runtime.text.PromptTemplates.Fidelity;
import org.vlmscope.runtime.text.PromptTemplates.Variant;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.Option;
import picocli.CommandLine.TypeConversionException;

/**
 * The input options of {@code run} and {@code attribute}: exactly one of a question rendered into the model's chat
 * template ({@code --prompt}), a verbatim prompt ({@code --raw-prompt}) or prepared ids ({@code --inputs}); the
 * image from {@code --image} or from pixel_values in the {@code --inputs} file. This mixin parses and checks which
 * options go together; {@link ModelInput} in the runtime does the preparing.
 */
final class PromptInput {
    /** Qwen2-VL's image placeholder in a raw prompt (its tokenizer's image token). */
    static final String QWEN_IMAGE_PAD = "<|image_pad|>";

    @Option(names = "--image", paramLabel = "IMG",
            description = "JPEG or PNG image, preprocessed as the model directory's " + ModelInput.PREPROCESSOR_CONFIG
                    + " says (LLaVA's CLIPImageProcessor: PIL bicubic resize, center crop, CLIP normalisation; "
                    + "Qwen2-VL's: smart_resize to its own grid). Qwen2-VL takes several: repeat --image, in the "
                    + "order the prompt's placeholders take them.")
    List<Path> images = new ArrayList<>();

    @Option(names = "--prompt", paramLabel = "TEXT",
            description = "The question, rendered into the model's chat template, which places the image: for "
                    + "LLaVA-1.5 'What is in this image?' becomes 'USER: <image>\\nWhat is in this image? "
                    + "ASSISTANT:'. Needs --image.")
    String prompt;

    @Option(names = "--vqa",
            description = "With --prompt: the VQA template, which ends in the answer start ('It is a') so that "
                    + "the next token is the answer.")
    boolean vqa;

    @Option(names = "--fidelity", paramLabel = "paper|code", converter = FidelityConverter.class,
            description = "With --prompt: the template as the paper writes it or as its public code does "
                    + "(EXPERIMENTS.md; default: paper).")
    Fidelity fidelity;

    @Option(names = "--raw-prompt", paramLabel = "TEXT",
            description = "The whole prompt, tokenized verbatim (the tokenizer adds BOS). With --image it holds "
                    + "<image> once per image (Qwen2-VL: <|vision_start|><|image_pad|><|vision_end|>), where the "
                    + "visual tokens go; without, it is a text-only prompt. In bash, "
                    + "$'...' turns \\n into a newline.")
    String rawPrompt;

    @Option(names = "--inputs", paramLabel = "IN.safetensors",
            description = "Prepared ids instead of text: input_ids, I64 or I32 [S] or [B,S], the image token once "
                    + "per row or once per visual token; pixel_values, F32 [B,3,H,W], unless --image gives the "
                    + "image. Give exactly one of --prompt, --raw-prompt and --inputs.")
    Path inputs;

    /** The checks that need no model: which options go together. Each failure is a usage error. */
    void check() {
        List<String> given = new ArrayList<>();
        if (prompt != null) {
            given.add("--prompt");
        }
        if (rawPrompt != null) {
            given.add("--raw-prompt");
        }
        if (inputs != null) {
            given.add("--inputs");
        }
        if (given.isEmpty()) {
            throw new BadArgumentException("no input: give --prompt TEXT with --image IMG, --raw-prompt TEXT or "
                    + "--inputs IN.safetensors");
        }
        if (given.size() > 1) {
            throw new BadArgumentException(String.join(" and ", given) + " each give the whole input; give "
                    + "exactly one");
        }
        if (prompt == null && (vqa || fidelity != null)) {
            throw new BadArgumentException((vqa ? "--vqa" : "--fidelity") + " chooses the template that --prompt "
                    + "is rendered into; it does not apply to " + given.get(0));
        }
        if (prompt != null && images.isEmpty()) {
            throw new BadArgumentException("--prompt renders the question into the model's chat template, which "
                    + "holds the image: give --image IMG too, or a text-only --raw-prompt");
        }
        if (rawPrompt != null) {
            checkRawPlaceholders();
        }
    }

    /**
     * A raw prompt holds one image placeholder per --image: {@value PromptTemplate#IMAGE} (LLaVA) or
     * {@value #QWEN_IMAGE_PAD} (Qwen2-VL, inside its {@code <|vision_start|>...<|vision_end|>}).
     */
    private void checkRawPlaceholders() {
        int placeholders = occurrences(rawPrompt, PromptTemplate.IMAGE) + occurrences(rawPrompt, QWEN_IMAGE_PAD);
        if (!images.isEmpty() && placeholders != images.size()) {
            throw new BadArgumentException("--raw-prompt " + PromptTemplate.quote(rawPrompt) + " holds " + placeholders
                    + " " + PromptTemplate.IMAGE + " placeholders (" + QWEN_IMAGE_PAD + " for Qwen2-VL); with "
                    + images.size() + " --image it needs exactly " + (images.size() == 1 ? "one" : images.size())
                    + ", where each image's visual tokens go (e.g. "
                    + PromptTemplate.quote("USER: <image>\nWhat is this? ASSISTANT:") + ")");
        }
        if (images.isEmpty() && placeholders > 0) {
            throw new BadArgumentException("--raw-prompt " + PromptTemplate.quote(rawPrompt) + " holds "
                    + PromptTemplate.IMAGE + " but no --image gives the picture");
        }
    }

    /** The options as the runtime's request. */
    InputRequest request() {
        if (inputs != null) {
            return InputRequest.file(inputs, images);
        }
        if (rawPrompt != null) {
            return InputRequest.raw(rawPrompt, images);
        }
        return InputRequest.question(prompt, vqa ? Variant.VQA : Variant.GENERATIVE,
                fidelity == null ? Fidelity.PAPER : fidelity, images);
    }

    /**
     * Reads the image and the ids for a model (see {@link ModelInput#prepare}): an inputs file before the image,
     * the image before the tokenizer, all before the caller opens a session.
     */
    ModelInput.Prepared prepare(Path modelDir, ModelManifest m) {
        return ModelInput.prepare(modelDir, m, request());
    }

    private static int occurrences(String text, String part) {
        int n = 0;
        for (int at = text.indexOf(part); at >= 0; at = text.indexOf(part, at + part.length())) {
            n++;
        }
        return n;
    }

    /** paper or code, in any case; anything else is a usage error naming the choices. */
    static final class FidelityConverter implements ITypeConverter<Fidelity> {
        @Override
        public Fidelity convert(String value) {
            for (Fidelity f : Fidelity.values()) {
                if (f.name().equalsIgnoreCase(value)) {
                    return f;
                }
            }
            throw new TypeConversionException("'" + value + "' is not a fidelity: use paper or code");
        }
    }
}
