package org.vlmscope.runtime.input;

import java.nio.file.Path;
import java.util.List;
import org.vlmscope.runtime.text.PromptTemplates.Fidelity;
import org.vlmscope.runtime.text.PromptTemplates.Variant;

/**
 * What a run reads, as a value: exactly one of a {@code question} rendered into the model's chat template (in
 * {@code variant} and {@code fidelity}), a verbatim {@code rawPrompt}, or an {@code inputs} file of prepared ids;
 * and the {@code images} of the prompt, in the order their placeholders appear, or none (the inputs file's
 * pixel_values, or a text-only prompt). LLaVA's prompts take one image; Qwen2-VL's any number.
 */
public record InputRequest(String question, Variant variant, Fidelity fidelity, String rawPrompt, Path inputs,
                           List<Path> images) {
    public InputRequest {
        images = List.copyOf(images);
    }

    /** A question in the model's chat template, with its images (placed by the template, before the question). */
    public static InputRequest question(String question, Variant variant, Fidelity fidelity, List<Path> images) {
        return new InputRequest(question, variant, fidelity, null, null, images);
    }

    /** A question in the model's chat template, with its one image (null for none). */
    public static InputRequest question(String question, Variant variant, Fidelity fidelity, Path image) {
        return question(question, variant, fidelity, image == null ? List.of() : List.of(image));
    }

    /** A prompt tokenized as it is; it holds the image placeholder once per image. */
    public static InputRequest raw(String prompt, List<Path> images) {
        return new InputRequest(null, null, null, prompt, null, images);
    }

    /** Prepared ids (and perhaps pixel_values) from a safetensors file; {@code images} may give the images instead. */
    public static InputRequest file(Path inputs, List<Path> images) {
        return new InputRequest(null, null, null, null, inputs, images);
    }

}
