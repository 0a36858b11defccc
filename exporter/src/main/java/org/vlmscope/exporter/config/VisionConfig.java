package org.vlmscope.exporter.config;

/**
 * The vision tower of a LLaVA checkpoint (a CLIP vision transformer), every field filled as
 * transformers 4.45's {@code CLIPVisionConfig} fills it.
 *
 * @param modelType always {@code clip_vision_model}, the only vision tower supported
 * @param numLayers {@code num_hidden_layers}
 * @param numHeads {@code num_attention_heads}
 * @param hiddenAct activation of the MLP, e.g. {@code quick_gelu}
 */
public record VisionConfig(String modelType, int hiddenSize, int intermediateSize, int numLayers, int numHeads,
                           int numChannels, int imageSize, int patchSize, double layerNormEps, String hiddenAct) {
}
