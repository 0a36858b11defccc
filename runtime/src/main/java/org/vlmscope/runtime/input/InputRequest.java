package org.vlmscope.runtime.input;

import java.nio.file.Path;
import org.vlmscope.runtime.text.PromptTemplates.Fidelity;
import org.vlmscope.runtime.text.PromptTemplates.Variant;

/**
 * What a run reads, as a value: exactly one of a {@code question} rendered into the model's chat template (in
 * {@code variant} and {@code fidelity}), a verbatim {@code rawPrompt}, or an {@code inputs} file of prepared ids;
 * and the {@code image}, or null (the inputs file's pixel_values, or a text-only prompt).
 */
public record InputRequest(String question, Variant variant, Fidelity fidelity, String rawPrompt, Path inputs,
                           Path image) {

    /** A question in the model's chat template, with its image. */
    public static InputRequest question(String question, Variant variant, Fidelity fidelity, Path image) {
        return new InputRequest(question, variant, fidelity, null, null, image);
    }

    /** A prompt tokenized as it is; with an image it holds the placeholder once. */
    public static InputRequest raw(String prompt, Path image) {
        return new InputRequest(null, null, null, prompt, null, image);
    }

    /** Prepared ids (and perhaps pixel_values) from a safetensors file; {@code image} may give the image instead. */
    public static InputRequest file(Path inputs, Path image) {
        return new InputRequest(null, null, null, null, inputs, image);
    }
}
