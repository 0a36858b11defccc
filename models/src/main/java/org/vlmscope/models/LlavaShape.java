package org.vlmscope.models;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.vlmscope.core.DType;
import org.vlmscope.core.SafetensorsWriter.TensorSpec;

/**
 * The dimensions of a LLaVA-1.5-style model (CLIP vision tower, two-layer GELU projector, Llama language model)
 * and what follows from them: the exact tensors Hugging Face's LlavaForConditionalGeneration holds, in the
 * classic key layout, and the compact config.json that describes them. Shared by the generated checkpoints so
 * their tensors and configs cannot drift apart.
 */
record LlavaShape(Vision vision, Text text, int imageTokenIndex, int padTokenId) {

    /** CLIPVisionConfig fields that decide tensor shapes. */
    record Vision(int hidden, int intermediate, int layers, int heads, int imageSize, int patchSize) {
        int patches() {
            int side = imageSize / patchSize;
            return side * side;
        }
    }

    /** LlamaConfig fields that decide tensor shapes, plus the two other settings LLaVA-1.5 changes. */
    record Text(int hidden, int intermediate, int layers, int heads, int kvHeads, int vocab, int maxPositions,
                double rmsNormEps) {
        int kvWidth() {
            return hidden / heads * kvHeads;
        }
    }

    /** CLIPVisionConfig's constructor defaults in transformers 4.45; config.json omits values equal to them. */
    private static final Map<String, Object> CLIP_VISION_DEFAULTS = Map.of("hidden_size", 768,
            "intermediate_size", 3072, "num_hidden_layers", 12, "num_attention_heads", 12, "image_size", 224,
            "patch_size", 32);
    /**
     * LlamaConfig's defaults in transformers 4.45. num_key_value_heads defaults to None, which the class turns
     * into num_attention_heads, so the default instance it is compared against has 32.
     */
    private static final Map<String, Object> LLAMA_DEFAULTS = Map.of("hidden_size", 4096, "intermediate_size", 11008,
            "num_hidden_layers", 32, "num_attention_heads", 32, "num_key_value_heads", 32, "vocab_size", 32000,
            "max_position_embeddings", 2048, "rms_norm_eps", 1e-6);
    /** LlamaConfig's defaults, which every generated checkpoint keeps: they go to generation_config.json only. */
    static final int BOS = 1;
    static final int EOS = 2;

    /** Every tensor, in the order LlavaForConditionalGeneration registers them: vision tower, projector, LM. */
    List<TensorSpec> tensors(DType dtype) {
        List<TensorSpec> specs = new ArrayList<>();
        String v = "vision_tower.vision_model.";
        long vh = vision.hidden;
        specs.add(new TensorSpec(v + "embeddings.class_embedding", dtype, new long[] {vh}));
        specs.add(new TensorSpec(v + "embeddings.patch_embedding.weight", dtype,
                new long[] {vh, 3, vision.patchSize, vision.patchSize}));
        specs.add(new TensorSpec(v + "embeddings.position_embedding.weight", dtype,
                new long[] {vision.patches() + 1, vh}));
        // "pre_layrnorm" is Hugging Face's own spelling of the key.
        addNorm(specs, v + "pre_layrnorm", dtype, vh);
        for (int i = 0; i < vision.layers; i++) {
            String p = v + "encoder.layers." + i + ".";
            for (String proj : List.of("k_proj", "v_proj", "q_proj", "out_proj")) {
                addLinear(specs, p + "self_attn." + proj, dtype, vh, vh, true);
            }
            addNorm(specs, p + "layer_norm1", dtype, vh);
            addLinear(specs, p + "mlp.fc1", dtype, vision.intermediate, vh, true);
            addLinear(specs, p + "mlp.fc2", dtype, vh, vision.intermediate, true);
            addNorm(specs, p + "layer_norm2", dtype, vh);
        }
        // LLaVA reads hidden state -2 and never uses post_layernorm, but the tower has it, so the checkpoint does.
        addNorm(specs, v + "post_layernorm", dtype, vh);

        long th = text.hidden;
        addLinear(specs, "multi_modal_projector.linear_1", dtype, th, vh, true);
        addLinear(specs, "multi_modal_projector.linear_2", dtype, th, th, true);

        String t = "language_model.model.";
        specs.add(new TensorSpec(t + "embed_tokens.weight", dtype, new long[] {text.vocab, th}));
        for (int i = 0; i < text.layers; i++) {
            String p = t + "layers." + i + ".";
            addLinear(specs, p + "self_attn.q_proj", dtype, th, th, false);
            addLinear(specs, p + "self_attn.k_proj", dtype, text.kvWidth(), th, false);
            addLinear(specs, p + "self_attn.v_proj", dtype, text.kvWidth(), th, false);
            addLinear(specs, p + "self_attn.o_proj", dtype, th, th, false);
            addLinear(specs, p + "mlp.gate_proj", dtype, text.intermediate, th, false);
            addLinear(specs, p + "mlp.up_proj", dtype, text.intermediate, th, false);
            addLinear(specs, p + "mlp.down_proj", dtype, th, text.intermediate, false);
            specs.add(new TensorSpec(p + "input_layernorm.weight", dtype, new long[] {th}));
            specs.add(new TensorSpec(p + "post_attention_layernorm.weight", dtype, new long[] {th}));
        }
        specs.add(new TensorSpec(t + "norm.weight", dtype, new long[] {th}));
        specs.add(new TensorSpec("language_model.lm_head.weight", dtype, new long[] {text.vocab, th}));
        return specs;
    }

    private static void addLinear(List<TensorSpec> specs, String module, DType dtype, long out, long in,
                                  boolean bias) {
        specs.add(new TensorSpec(module + ".weight", dtype, new long[] {out, in}));
        if (bias) {
            specs.add(new TensorSpec(module + ".bias", dtype, new long[] {out}));
        }
    }

    private static void addNorm(List<TensorSpec> specs, String module, DType dtype, long width) {
        specs.add(new TensorSpec(module + ".weight", dtype, new long[] {width}));
        specs.add(new TensorSpec(module + ".bias", dtype, new long[] {width}));
    }

    /**
     * config.json as published llava-hf checkpoints have it: the LLaVA fields spelled out at the top level, the
     * nested configs reduced to their model_type and the values that differ from their class defaults.
     *
     * @param torchDtype the dtype name transformers records ("float32", "bfloat16", ...)
     */
    Map<String, Object> config(String torchDtype) {
        Map<String, Object> visionConfig = new TreeMap<>();
        visionConfig.put("model_type", "clip_vision_model");
        putIfNotDefault(visionConfig, CLIP_VISION_DEFAULTS, "hidden_size", vision.hidden);
        putIfNotDefault(visionConfig, CLIP_VISION_DEFAULTS, "intermediate_size", vision.intermediate);
        putIfNotDefault(visionConfig, CLIP_VISION_DEFAULTS, "num_hidden_layers", vision.layers);
        putIfNotDefault(visionConfig, CLIP_VISION_DEFAULTS, "num_attention_heads", vision.heads);
        putIfNotDefault(visionConfig, CLIP_VISION_DEFAULTS, "image_size", vision.imageSize);
        putIfNotDefault(visionConfig, CLIP_VISION_DEFAULTS, "patch_size", vision.patchSize);
        // layer_norm_eps (1e-5), hidden_act (quick_gelu) and num_channels (3) keep their defaults, so are absent.

        Map<String, Object> textConfig = new TreeMap<>();
        textConfig.put("model_type", "llama");
        putIfNotDefault(textConfig, LLAMA_DEFAULTS, "hidden_size", text.hidden);
        putIfNotDefault(textConfig, LLAMA_DEFAULTS, "intermediate_size", text.intermediate);
        putIfNotDefault(textConfig, LLAMA_DEFAULTS, "num_hidden_layers", text.layers);
        putIfNotDefault(textConfig, LLAMA_DEFAULTS, "num_attention_heads", text.heads);
        putIfNotDefault(textConfig, LLAMA_DEFAULTS, "num_key_value_heads", text.kvHeads);
        putIfNotDefault(textConfig, LLAMA_DEFAULTS, "vocab_size", text.vocab);
        putIfNotDefault(textConfig, LLAMA_DEFAULTS, "max_position_embeddings", text.maxPositions);
        putIfNotDefault(textConfig, LLAMA_DEFAULTS, "rms_norm_eps", text.rmsNormEps);
        // rope_theta (10000), hidden_act (silu), bos/eos (1/2) and untied embeddings keep their defaults.
        // LlamaConfig's pad_token_id defaults to None; llava-hf configs repeat the model's pad id here.
        textConfig.put("pad_token_id", padTokenId);

        Map<String, Object> config = new TreeMap<>();
        config.put("architectures", List.of("LlavaForConditionalGeneration"));
        config.put("ignore_index", -100);
        config.put("image_seq_length", vision.patches());
        config.put("image_token_index", imageTokenIndex);
        config.put("model_type", "llava");
        config.put("pad_token_id", padTokenId);
        config.put("projector_hidden_act", "gelu");
        config.put("text_config", textConfig);
        config.put("tie_word_embeddings", false);
        config.put("torch_dtype", torchDtype);
        // The transformers release whose config semantics (and defaults above) this file follows.
        config.put("transformers_version", "4.45.1");
        config.put("vision_config", visionConfig);
        config.put("vision_feature_layer", -2);
        config.put("vision_feature_select_strategy", "default");
        return config;
    }

    /** generation_config.json as save_pretrained derives it from the model config. */
    Map<String, Object> generationConfig() {
        Map<String, Object> config = new TreeMap<>();
        config.put("_from_model_config", true);
        config.put("bos_token_id", BOS);
        config.put("eos_token_id", EOS);
        config.put("pad_token_id", padTokenId);
        config.put("transformers_version", "4.45.1");
        return config;
    }

    /** preprocessor_config.json of llava-hf/llava-1.5-7b-hf (CLIP ViT-L/14-336), with this tower's image size. */
    Map<String, Object> preprocessorConfig() {
        Map<String, Object> config = new TreeMap<>();
        config.put("crop_size", new TreeMap<>(Map.of("height", vision.imageSize, "width", vision.imageSize)));
        config.put("do_center_crop", true);
        config.put("do_convert_rgb", true);
        config.put("do_normalize", true);
        config.put("do_rescale", true);
        config.put("do_resize", true);
        config.put("image_mean", List.of(0.48145466, 0.4578275, 0.40821073));
        config.put("image_processor_type", "CLIPImageProcessor");
        config.put("image_std", List.of(0.26862954, 0.26130258, 0.27577711));
        // PIL's BICUBIC.
        config.put("resample", 3);
        config.put("rescale_factor", 1.0 / 255);
        config.put("size", Map.of("shortest_edge", vision.imageSize));
        return config;
    }

    private static void putIfNotDefault(Map<String, Object> config, Map<String, Object> defaults, String key,
                                        Object value) {
        if (!value.equals(defaults.get(key))) {
            config.put(key, value);
        }
    }
}
