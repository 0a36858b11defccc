package org.vlmscope.exporter.config;

import java.util.List;

/**
 * A {@code Qwen2VLForConditionalGeneration} checkpoint's config.json with every field filled as transformers 4.45's
 * {@code Qwen2VLConfig} fills it.
 *
 * @param architectures as listed in config.json; empty when absent
 * @param text the Qwen2 language model (model_type {@code qwen2}); q/k/v carry biases, o_proj does not
 * @param imageTokenId {@code image_token_id}, the {@code <|image_pad|>} token each visual token replaces
 * @param visionStartTokenId {@code vision_start_token_id}, the token before an image's pad tokens
 * @param visionEndTokenId {@code vision_end_token_id}, the token after them
 * @param mropeSection {@code rope_scaling.mrope_section}: how many rotary frequency pairs of a head follow the
 *     temporal, height and width position ids, in that order (they sum to head_dim / 2)
 */
public record Qwen2VlConfig(List<String> architectures, Qwen2VlVisionConfig vision, TextConfig text,
                            int imageTokenId, int visionStartTokenId, int visionEndTokenId,
                            List<Integer> mropeSection) {

    public Qwen2VlConfig {
        architectures = List.copyOf(architectures);
        mropeSection = List.copyOf(mropeSection);
    }
}
