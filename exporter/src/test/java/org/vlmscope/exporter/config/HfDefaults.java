package org.vlmscope.exporter.config;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;

/**
 * The test's own table of transformers 4.45 constructor defaults, written from the sources
 * (configuration_utils.py PretrainedConfig, models/llava, llama, mistral, phi3, clip), and a
 * compactor that does what {@code PretrainedConfig.to_diff_dict} does to a full config.json: drop
 * every value equal to its class default, and drop a whole sub-config equal to LlavaConfig's default.
 */
final class HfDefaults {
    private static final ObjectMapper JSON = new ObjectMapper();

    /** PretrainedConfig attributes every sub-config dump carries (configuration_utils.py). */
    static final ObjectNode PRETRAINED = json("""
            {"_name_or_path": "", "add_cross_attention": false, "architectures": null, "bad_words_ids": null,
             "begin_suppress_tokens": null, "bos_token_id": null, "chunk_size_feed_forward": 0,
             "cross_attention_hidden_size": null, "decoder_start_token_id": null, "diversity_penalty": 0.0,
             "do_sample": false, "early_stopping": false, "encoder_no_repeat_ngram_size": 0, "eos_token_id": null,
             "exponential_decay_length_penalty": null, "finetuning_task": null, "forced_bos_token_id": null,
             "forced_eos_token_id": null, "id2label": {"0": "LABEL_0", "1": "LABEL_1"}, "is_decoder": false,
             "is_encoder_decoder": false, "label2id": {"LABEL_0": 0, "LABEL_1": 1}, "length_penalty": 1.0,
             "max_length": 20, "min_length": 0, "no_repeat_ngram_size": 0, "num_beam_groups": 1, "num_beams": 1,
             "num_return_sequences": 1, "output_attentions": false, "output_hidden_states": false,
             "output_scores": false, "pad_token_id": null, "prefix": null, "problem_type": null,
             "pruned_heads": {}, "remove_invalid_values": false, "repetition_penalty": 1.0, "return_dict": true,
             "return_dict_in_generate": false, "sep_token_id": null, "suppress_tokens": null,
             "task_specific_params": null, "temperature": 1.0, "tf_legacy_loss": false,
             "tie_encoder_decoder": false, "tie_word_embeddings": true, "tokenizer_class": null, "top_k": 50,
             "top_p": 1.0, "torch_dtype": null, "torchscript": false, "typical_p": 1.0, "use_bfloat16": false}
            """);

    /** LlamaConfig.__init__; head_dim and num_key_value_heads None are derived, so they are never dropped. */
    static final ObjectNode LLAMA = withBase("""
            {"model_type": "llama", "vocab_size": 32000, "hidden_size": 4096, "intermediate_size": 11008,
             "num_hidden_layers": 32, "num_attention_heads": 32, "hidden_act": "silu",
             "max_position_embeddings": 2048, "initializer_range": 0.02, "rms_norm_eps": 1e-06,
             "use_cache": true, "pad_token_id": null, "bos_token_id": 1, "eos_token_id": 2, "pretraining_tp": 1,
             "tie_word_embeddings": false, "rope_theta": 10000.0, "rope_scaling": null, "attention_bias": false,
             "attention_dropout": 0.0, "mlp_bias": false}
            """);

    /** MistralConfig.__init__. */
    static final ObjectNode MISTRAL = withBase("""
            {"model_type": "mistral", "vocab_size": 32000, "hidden_size": 4096, "intermediate_size": 14336,
             "num_hidden_layers": 32, "num_attention_heads": 32, "num_key_value_heads": 8, "hidden_act": "silu",
             "max_position_embeddings": 131072, "initializer_range": 0.02, "rms_norm_eps": 1e-06,
             "use_cache": true, "pad_token_id": null, "bos_token_id": 1, "eos_token_id": 2,
             "tie_word_embeddings": false, "rope_theta": 10000.0, "sliding_window": 4096,
             "attention_dropout": 0.0}
            """);

    /** Phi3Config.__init__. */
    static final ObjectNode PHI3 = withBase("""
            {"model_type": "phi3", "vocab_size": 32064, "hidden_size": 3072, "intermediate_size": 8192,
             "num_hidden_layers": 32, "num_attention_heads": 32, "resid_pdrop": 0.0, "embd_pdrop": 0.0,
             "attention_dropout": 0.0, "hidden_act": "silu", "max_position_embeddings": 4096,
             "original_max_position_embeddings": 4096, "initializer_range": 0.02, "rms_norm_eps": 1e-05,
             "use_cache": true, "tie_word_embeddings": false, "rope_theta": 10000.0, "rope_scaling": null,
             "bos_token_id": 1, "eos_token_id": 32000, "pad_token_id": 32000, "sliding_window": null}
            """);

    /** CLIPVisionConfig.__init__. */
    static final ObjectNode CLIP_VISION = withBase("""
            {"model_type": "clip_vision_model", "hidden_size": 768, "intermediate_size": 3072,
             "projection_dim": 512, "num_hidden_layers": 12, "num_attention_heads": 12, "num_channels": 3,
             "image_size": 224, "patch_size": 32, "hidden_act": "quick_gelu", "layer_norm_eps": 1e-05,
             "attention_dropout": 0.0, "initializer_range": 0.02, "initializer_factor": 1.0}
            """);

    /** What LlavaConfig builds when vision_config is absent: CLIPVisionConfig with these overrides. */
    static final ObjectNode LLAVA_DEFAULT_VISION = merge(CLIP_VISION, json("""
            {"intermediate_size": 4096, "hidden_size": 1024, "patch_size": 14, "image_size": 336,
             "num_hidden_layers": 24, "num_attention_heads": 16, "vocab_size": 32000, "projection_dim": 768}
            """));

    /** LlavaConfig.__init__ top-level arguments. */
    static final ObjectNode LLAVA = json("""
            {"model_type": "llava", "ignore_index": -100, "image_token_index": 32000,
             "projector_hidden_act": "gelu", "vision_feature_select_strategy": "default",
             "vision_feature_layer": -2, "image_seq_length": 576}
            """);

    static final Map<String, ObjectNode> TEXT_BY_TYPE = Map.of("llama", LLAMA, "mistral", MISTRAL, "phi3", PHI3);

    private HfDefaults() {
    }

    static ObjectNode json(String text) {
        try {
            return (ObjectNode) JSON.readTree(text);
        } catch (Exception e) {
            throw new IllegalArgumentException(e);
        }
    }

    private static ObjectNode merge(ObjectNode base, ObjectNode overrides) {
        ObjectNode merged = base.deepCopy();
        merged.setAll(overrides);
        return merged;
    }

    private static ObjectNode withBase(String classDefaults) {
        return merge(PRETRAINED, json(classDefaults));
    }

    /** A copy of a full config.json with every default value (and default sub-config) removed. */
    static ObjectNode compact(JsonNode full) {
        ObjectNode compact = full.deepCopy();
        dropDefaults(compact, LLAVA, List.of("model_type"));

        JsonNode vision = compact.get("vision_config");
        if (vision != null && equalsDefaults(vision, LLAVA_DEFAULT_VISION)) {
            compact.remove("vision_config");
        } else if (vision != null) {
            dropDefaults((ObjectNode) vision, CLIP_VISION, List.of("model_type"));
        }
        JsonNode text = compact.get("text_config");
        if (text != null && equalsDefaults(text, LLAMA)) {
            compact.remove("text_config");
        } else if (text != null) {
            ObjectNode defaults = TEXT_BY_TYPE.get(text.get("model_type").asText());
            dropDefaults((ObjectNode) text, defaults, List.of("model_type"));
        }
        return compact;
    }

    /** Every key of the object has its default value (numbers compared by value: 1e-05 == 0.00001). */
    private static boolean equalsDefaults(JsonNode object, ObjectNode defaults) {
        for (Iterator<Map.Entry<String, JsonNode>> it = object.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> entry = it.next();
            if (!sameValue(entry.getValue(), defaults.get(entry.getKey()))) {
                return false;
            }
        }
        return true;
    }

    private static void dropDefaults(ObjectNode object, ObjectNode defaults, List<String> keep) {
        List<String> drop = new ArrayList<>();
        object.fieldNames().forEachRemaining(key -> {
            if (!keep.contains(key) && sameValue(object.get(key), defaults.get(key))) {
                drop.add(key);
            }
        });
        object.remove(drop);
    }

    private static boolean sameValue(JsonNode value, JsonNode defaultValue) {
        if (defaultValue == null) {
            return false;
        }
        if (value.isNumber() && defaultValue.isNumber()) {
            return value.doubleValue() == defaultValue.doubleValue();
        }
        return value.equals(defaultValue);
    }
}
