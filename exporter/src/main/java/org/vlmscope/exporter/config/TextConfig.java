package org.vlmscope.exporter.config;

import java.util.List;

/**
 * The language model of a LLaVA or Qwen2-VL checkpoint, every field filled as the transformers 4.45 config class
 * of its {@code model_type} fills it ({@code LlamaConfig}, {@code MistralConfig}, {@code Phi3Config}, and
 * {@code Qwen2VLConfig} for {@code qwen2}).
 *
 * @param modelType {@code llama}, {@code mistral}, {@code phi3} or {@code qwen2}
 * @param numLayers {@code num_hidden_layers}
 * @param numHeads {@code num_attention_heads}
 * @param numKvHeads {@code num_key_value_heads}; defaults to numHeads (Mistral: 8)
 * @param headDim {@code head_dim} where the class has it (llama, mistral), else hidden_size / num_heads
 * @param ropeScaling null for plain rotary embeddings
 * @param originalMaxPositionEmbeddings phi3's pre-extension context length; null for llama and mistral
 * @param partialRotaryFactor fraction of each head's dimensions that rotate (1.0 unless the config says
 *     otherwise; 4.45's Mistral ignores the key, so it stays 1.0 there)
 * @param attentionBias whether the q/k/v projections have biases (llama's attention_bias, which covers o_proj too;
 *     always for qwen2, whose o_proj has none; false for the others)
 * @param mlpBias whether the MLP projections have biases (llama only; false for the others)
 * @param slidingWindow attention window, null for none (Mistral defaults to 4096)
 * @param eosTokenIds {@code eos_token_id}, an int or a list in config.json; empty when null
 */
public record TextConfig(String modelType, int hiddenSize, int intermediateSize, int numLayers, int numHeads,
                         int numKvHeads, int headDim, int vocabSize, double rmsNormEps, double ropeTheta,
                         RopeScaling ropeScaling, int maxPositionEmbeddings, Integer originalMaxPositionEmbeddings,
                         double partialRotaryFactor, boolean tieWordEmbeddings, boolean attentionBias,
                         boolean mlpBias, String hiddenAct, Integer slidingWindow, Integer bosTokenId,
                         List<Integer> eosTokenIds, Integer padTokenId) {

    public TextConfig {
        eosTokenIds = List.copyOf(eosTokenIds);
    }
}
