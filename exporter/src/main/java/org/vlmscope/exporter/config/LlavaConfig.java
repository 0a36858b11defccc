package org.vlmscope.exporter.config;

import java.util.List;

/**
 * A {@code LlavaForConditionalGeneration} checkpoint's config.json with every field filled as
 * transformers 4.45's {@code LlavaConfig} fills it.
 *
 * @param architectures as listed in config.json; empty when absent
 * @param imageTokenIndex the id of the image placeholder token ({@code image_token_index})
 * @param projectorHiddenAct activation between the projector's two linear layers
 * @param visionFeatureLayers indices into the vision tower's hidden states (length layers + 1, index 0
 *     the embeddings, negative from the end); one for plain LLaVA, several are concatenated
 * @param visionFeatureSelectStrategy {@code default} drops the CLS token, {@code full} keeps it
 * @param imageSeqLength visual tokens per image the processor expands the placeholder to
 * @param projectorBias {@code multimodal_projector_bias}
 * @param padTokenId the top-level {@code pad_token_id}, null when absent
 */
public record LlavaConfig(List<String> architectures, VisionConfig vision, TextConfig text, int imageTokenIndex,
                          String projectorHiddenAct, List<Integer> visionFeatureLayers,
                          String visionFeatureSelectStrategy, int imageSeqLength, boolean projectorBias,
                          Integer padTokenId) {

    public LlavaConfig {
        architectures = List.copyOf(architectures);
        visionFeatureLayers = List.copyOf(visionFeatureLayers);
    }
}
