package org.vlmscope.exporter.config;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.vlmscope.core.JsonErrors;
import org.vlmscope.core.VlmscopeException;

/**
 * Reads a LLaVA checkpoint's config.json the way transformers 4.45 does. Published checkpoints list
 * only the values that differ from the config classes' defaults (and a missing {@code vision_config}
 * or {@code text_config} means the LlavaConfig default sub-config), so every absent field is filled
 * with the default of the transformers 4.45 class for its model_type.
 */
public final class HfConfigReader {
    public static final String CONFIG_FILE = "config.json";
    /** What this reader reads, as the message for any other architecture says. */
    public static final String LLAVA_SUPPORTED = "LlavaForConditionalGeneration (text: llama, phi3, mistral; "
            + "vision: clip_vision_model)";
    private static final String SUPPORTED = "supported: " + LLAVA_SUPPORTED;
    private static final String LLAVA_ARCHITECTURE = "LlavaForConditionalGeneration";
    private static final ObjectMapper JSON = JsonMapper.builder()
            .enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION)
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .build();

    /** Defaults of a text config class's constructor arguments in transformers 4.45. */
    private record TextDefaults(int vocabSize, int hiddenSize, int intermediateSize, int numLayers, int numHeads,
                                Integer numKvHeads, String hiddenAct, int maxPositionEmbeddings, double rmsNormEps,
                                Integer bosTokenId, List<Integer> eosTokenIds, Integer padTokenId,
                                Integer slidingWindow) {
    }

    /** LlamaConfig; num_key_value_heads None means num_attention_heads. */
    private static final TextDefaults LLAMA = new TextDefaults(32000, 4096, 11008, 32, 32, null, "silu", 2048, 1e-6,
            1, List.of(2), null, null);
    /** MistralConfig: max_position_embeddings = 4096 * 32. */
    private static final TextDefaults MISTRAL = new TextDefaults(32000, 4096, 14336, 32, 32, 8, "silu", 4096 * 32,
            1e-6, 1, List.of(2), null, 4096);
    /** Phi3Config (Phi-3-mini-4k). */
    private static final TextDefaults PHI3 = new TextDefaults(32064, 3072, 8192, 32, 32, null, "silu", 4096, 1e-5,
            1, List.of(32000), 32000, null);
    private static final Map<String, TextDefaults> TEXT_DEFAULTS = Map.of("llama", LLAMA, "mistral", MISTRAL,
            "phi3", PHI3);
    /** All three classes default rope_theta to 10000.0. */
    private static final double DEFAULT_ROPE_THETA = 10000.0;
    private static final int PHI3_DEFAULT_ORIGINAL_MAX_POSITION_EMBEDDINGS = 4096;

    /** CLIPVisionConfig's own defaults, used for fields missing from a present vision_config. */
    private static final VisionConfig CLIP_VISION_DEFAULTS = new VisionConfig("clip_vision_model", 768, 3072, 12, 12,
            3, 224, 32, 1e-5, "quick_gelu");
    /**
     * LlavaConfig's vision tower when config.json has no vision_config: CLIPVisionConfig with
     * CLIP ViT-L/14-336's sizes (the overrides LlavaConfig passes; the rest are CLIP defaults).
     */
    private static final VisionConfig LLAVA_DEFAULT_VISION = new VisionConfig("clip_vision_model", 1024, 4096, 24, 16,
            3, 336, 14, 1e-5, "quick_gelu");

    private HfConfigReader() {
    }

    public static LlavaConfig read(Path checkpointDir) {
        return parse(new JsonFields(readJson(checkpointDir), checkpointDir.resolve(CONFIG_FILE) + ": "),
                checkpointDir.resolve(CONFIG_FILE));
    }

    /** config.json as written (a JSON object), before any family's defaults; errors name the file. */
    public static JsonNode readJson(Path checkpointDir) {
        Path file = checkpointDir.resolve(CONFIG_FILE);
        if (Files.isRegularFile(checkpointDir)) {
            throw new VlmscopeException(checkpointDir + " is a file, not a directory: expected a Hugging Face "
                    + "checkpoint directory");
        }
        if (!Files.isRegularFile(file)) {
            throw new VlmscopeException(checkpointDir + " has no " + CONFIG_FILE
                    + ": expected a Hugging Face checkpoint directory");
        }
        JsonNode root = JsonErrors.read(JSON, file);
        if (root == null || !root.isObject()) {
            throw new VlmscopeException(file + " must hold a JSON object, found "
                    + (root == null ? "nothing" : root.getNodeType().toString().toLowerCase()));
        }
        return root;
    }

    /** Whether config.json is a LlavaForConditionalGeneration checkpoint (model_type llava). */
    public static boolean isLlava(JsonNode root) {
        return isLlava(architectures(root), modelType(root));
    }

    private static boolean isLlava(List<String> architectures, String modelType) {
        return "llava".equals(modelType) && (architectures.isEmpty() || architectures.contains(LLAVA_ARCHITECTURE));
    }

    /** The architecture config.json names, for messages: its architectures, else its model_type. */
    public static String architectureOf(JsonNode root) {
        return architectureOf(architectures(root), modelType(root));
    }

    private static String architectureOf(List<String> architectures, String modelType) {
        return !architectures.isEmpty() ? String.join(", ", architectures)
                : modelType == null ? "(no model_type)" : "model_type " + modelType;
    }

    static List<String> architectures(JsonNode root) {
        List<String> architectures = new ArrayList<>();
        root.path("architectures").forEach(a -> architectures.add(a.asText()));
        return architectures;
    }

    static String modelType(JsonNode root) {
        return root.path("model_type").isTextual() ? root.get("model_type").asText() : null;
    }

    private static LlavaConfig parse(JsonFields root, Path file) {
        List<String> architectures = root.stringList("architectures");
        String modelType = root.stringOr("model_type", null);
        if (!isLlava(architectures, modelType)) {
            throw new VlmscopeException("unknown architecture " + architectureOf(architectures, modelType) + " in "
                    + file + "; " + SUPPORTED);
        }
        JsonFields visionFields = root.objectOrNull("vision_config");
        VisionConfig vision = visionFields == null ? LLAVA_DEFAULT_VISION : parseVision(visionFields, file);
        JsonFields textFields = root.objectOrNull("text_config");
        TextConfig text = parseText(textFields == null ? new JsonFields(JSON.createObjectNode(), root.path(
                "text_config.")) : textFields, file);

        // image_token_id is the attribute alias later transformers versions may write.
        int imageTokenIndex = root.has("image_token_index") ? root.intOr("image_token_index", 0)
                : root.intOr("image_token_id", 32000);
        String strategy = root.stringOr("vision_feature_select_strategy", "default");
        if (!strategy.equals("default") && !strategy.equals("full")) {
            throw root.error("vision_feature_select_strategy", "must be 'default' or 'full'");
        }
        List<Integer> featureLayers = root.intOrIntListOr("vision_feature_layer", List.of(-2));
        if (featureLayers.isEmpty()) {
            throw root.error("vision_feature_layer", "must be an integer or a non-empty list of integers");
        }
        // The tower yields num_layers + 1 hidden states (embeddings first); Python indexing allows negatives.
        int states = vision.numLayers() + 1;
        for (int layer : featureLayers) {
            if (layer < -states || layer >= states) {
                throw new VlmscopeException(root.path("vision_feature_layer") + " " + layer
                        + " is out of range: the vision tower has " + states + " hidden states (indices "
                        + -states + ".." + (states - 1) + ")");
            }
        }
        return new LlavaConfig(architectures, vision, text, imageTokenIndex,
                root.stringOr("projector_hidden_act", "gelu"), featureLayers, strategy,
                root.positiveIntOr("image_seq_length", 576), root.boolOr("multimodal_projector_bias", true),
                root.nullableIntOr("pad_token_id", null));
    }

    private static VisionConfig parseVision(JsonFields fields, Path file) {
        String modelType = fields.stringOr("model_type", "clip_vision_model");
        if (!modelType.equals("clip_vision_model")) {
            throw new VlmscopeException("unknown vision model_type " + modelType + " in " + file
                    + " (vision_config); " + SUPPORTED);
        }
        VisionConfig d = CLIP_VISION_DEFAULTS;
        int hiddenSize = fields.positiveIntOr("hidden_size", d.hiddenSize());
        int numHeads = fields.positiveIntOr("num_attention_heads", d.numHeads());
        if (hiddenSize % numHeads != 0) {
            throw new VlmscopeException(fields.path("hidden_size") + " " + hiddenSize
                    + " is not divisible by num_attention_heads " + numHeads);
        }
        int imageSize = fields.positiveIntOr("image_size", d.imageSize());
        int patchSize = fields.positiveIntOr("patch_size", d.patchSize());
        if (patchSize > imageSize) {
            throw new VlmscopeException(fields.path("patch_size") + " " + patchSize + " exceeds image_size "
                    + imageSize);
        }
        return new VisionConfig(modelType, hiddenSize, fields.positiveIntOr("intermediate_size", d.intermediateSize()),
                fields.positiveIntOr("num_hidden_layers", d.numLayers()), numHeads,
                fields.positiveIntOr("num_channels", d.numChannels()), imageSize, patchSize,
                fields.positiveDoubleOr("layer_norm_eps", d.layerNormEps()),
                fields.stringOr("hidden_act", d.hiddenAct()));
    }

    private static TextConfig parseText(JsonFields fields, Path file) {
        String modelType = fields.stringOr("model_type", "llama");
        TextDefaults d = TEXT_DEFAULTS.get(modelType);
        if (d == null) {
            throw new VlmscopeException("unknown text model_type " + modelType + " in " + file + " (text_config); "
                    + SUPPORTED);
        }
        boolean llama = modelType.equals("llama");
        boolean phi3 = modelType.equals("phi3");
        int hiddenSize = fields.positiveIntOr("hidden_size", d.hiddenSize());
        int numHeads = fields.positiveIntOr("num_attention_heads", d.numHeads());
        // None (absent where the class default is None, or an explicit null) means one kv head per head.
        Integer kvHeads = fields.positiveOrNullOr("num_key_value_heads", d.numKvHeads());
        int numKvHeads = kvHeads == null ? numHeads : kvHeads;
        if (numHeads % numKvHeads != 0) {
            throw new VlmscopeException(fields.path("num_attention_heads") + " " + numHeads
                    + " is not divisible by num_key_value_heads " + numKvHeads);
        }
        // Phi3Config 4.45 has no head_dim: its attention always splits hidden_size evenly.
        boolean explicitHeadDim = !phi3 && fields.hasValue("head_dim");
        if (!explicitHeadDim && hiddenSize % numHeads != 0) {
            throw new VlmscopeException(fields.path("hidden_size") + " " + hiddenSize
                    + " is not divisible by num_attention_heads " + numHeads + " and head_dim is not given");
        }
        int headDim = explicitHeadDim ? fields.positiveIntOr("head_dim", 0) : hiddenSize / numHeads;
        int maxPositionEmbeddings = fields.positiveIntOr("max_position_embeddings", d.maxPositionEmbeddings());
        return new TextConfig(modelType, hiddenSize,
                fields.positiveIntOr("intermediate_size", d.intermediateSize()),
                fields.positiveIntOr("num_hidden_layers", d.numLayers()), numHeads, numKvHeads, headDim,
                fields.positiveIntOr("vocab_size", d.vocabSize()),
                fields.positiveDoubleOr("rms_norm_eps", d.rmsNormEps()),
                fields.positiveDoubleOr("rope_theta", DEFAULT_ROPE_THETA),
                ropeScaling(fields, modelType, maxPositionEmbeddings), maxPositionEmbeddings,
                phi3 ? Integer.valueOf(fields.positiveIntOr("original_max_position_embeddings",
                        PHI3_DEFAULT_ORIGINAL_MAX_POSITION_EMBEDDINGS)) : null,
                // 4.45 computes Llama's rotary frequencies from any partial_rotary_factor attribute;
                // its Mistral rotary never looks.
                modelType.equals("mistral") ? 1.0 : partialRotaryFactor(fields),
                fields.boolOr("tie_word_embeddings", false),
                llama && fields.boolOr("attention_bias", false),
                llama && fields.boolOr("mlp_bias", false),
                fields.stringOr("hidden_act", d.hiddenAct()),
                // LlamaConfig has no sliding window.
                llama ? null : fields.positiveOrNullOr("sliding_window", d.slidingWindow()),
                fields.nullableIntOr("bos_token_id", d.bosTokenId()),
                fields.intOrIntListOr("eos_token_id", d.eosTokenIds()),
                fields.nullableIntOr("pad_token_id", d.padTokenId()));
    }

    private static double partialRotaryFactor(JsonFields fields) {
        double factor = fields.positiveDoubleOr("partial_rotary_factor", 1.0);
        if (factor > 1.0) {
            throw new VlmscopeException(fields.path("partial_rotary_factor") + " must be in (0, 1], found " + factor);
        }
        return factor;
    }

    private static RopeScaling ropeScaling(JsonFields fields, String modelType, int maxPositionEmbeddings) {
        // MistralConfig 4.45 takes no rope_scaling and its model never reads one.
        if (modelType.equals("mistral")) {
            return null;
        }
        JsonFields scaling = fields.objectOrNull("rope_scaling");
        if (scaling == null) {
            return null;
        }
        // LlamaConfig copies a legacy "type" over "rope_type", so "type" wins when both are present.
        String type = scaling.has("type") ? scaling.stringOr("type", null) : scaling.stringOr("rope_type", null);
        if (type == null) {
            throw new VlmscopeException(fields.path("rope_scaling") + " has no rope_type (or type); supported: "
                    + String.join(", ", RopeScaling.SUPPORTED_TYPES));
        }
        if (!RopeScaling.SUPPORTED_TYPES.contains(type)) {
            throw new VlmscopeException(fields.path("rope_scaling") + " type " + type + " is not supported; supported: "
                    + String.join(", ", RopeScaling.SUPPORTED_TYPES));
        }
        if (type.equals("default")) {
            return null;
        }
        if (modelType.equals("phi3")) {
            // Phi3Config 4.45 accepts only longrope-style scaling (su, yarn, longrope), none of which is supported.
            throw new VlmscopeException(fields.path("rope_scaling") + " type " + type
                    + " is not valid for phi3 in transformers 4.45 (only longrope, su, yarn, which vlmscope does not"
                    + " support)");
        }
        if (!scaling.hasValue("factor")) {
            throw new VlmscopeException(fields.path("rope_scaling") + " of type " + type + " needs a factor");
        }
        double factor = scaling.positiveDoubleOr("factor", 0);
        if (!type.equals("llama3")) {
            return new RopeScaling(type, factor, Double.NaN, Double.NaN,
                    scaling.positiveIntOr("original_max_position_embeddings", maxPositionEmbeddings));
        }
        for (String key : List.of("low_freq_factor", "high_freq_factor", "original_max_position_embeddings")) {
            if (!scaling.hasValue(key)) {
                throw new VlmscopeException(fields.path("rope_scaling") + " of type llama3 needs " + key);
            }
        }
        return new RopeScaling(type, factor, scaling.positiveDoubleOr("low_freq_factor", 0),
                scaling.positiveDoubleOr("high_freq_factor", 0),
                scaling.positiveIntOr("original_max_position_embeddings", 0));
    }
}
