package org.vlmscope.exporter.config;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Path;
import java.util.List;
import org.vlmscope.core.VlmscopeException;

/**
 * Reads a Qwen2-VL checkpoint's config.json the way transformers 4.45 does: the language model's fields at the top
 * level (or in a {@code text_config} object, as transformers 4.52 and later write it), the vision tower's in
 * {@code vision_config}, every absent field filled with the default of {@code Qwen2VLConfig} and
 * {@code Qwen2VLVisionConfig}. The special token ids have no default in 4.45 and must be present.
 */
public final class Qwen2VlConfigReader {
    public static final String MODEL_TYPE = "qwen2_vl";
    /** What this reader reads, as the message for any other architecture says. */
    public static final String SUPPORTED = "Qwen2VLForConditionalGeneration (text: qwen2 with M-RoPE; vision: the "
            + "Qwen2-VL ViT with 2-D rotary and patch merger)";
    private static final String ARCHITECTURE = "Qwen2VLForConditionalGeneration";

    /** Qwen2VLVisionConfig's defaults (Qwen2-VL-7B's tower). */
    private static final Qwen2VlVisionConfig VISION_DEFAULTS = new Qwen2VlVisionConfig(32, 1280, 3584, "quick_gelu",
            4, 16, 3, 14, 2, 2);
    /** Qwen2VLConfig's language-model defaults (Qwen2-VL-72B's sizes). */
    private static final int DEFAULT_VOCAB = 152064;
    private static final int DEFAULT_HIDDEN = 8192;
    private static final int DEFAULT_INTERMEDIATE = 29568;
    private static final int DEFAULT_LAYERS = 80;
    private static final int DEFAULT_HEADS = 64;
    private static final int DEFAULT_KV_HEADS = 8;
    private static final int DEFAULT_MAX_POSITIONS = 32768;
    private static final double DEFAULT_RMS_NORM_EPS = 1e-5;
    private static final double DEFAULT_ROPE_THETA = 1_000_000.0;
    /**
     * 4.45 stores sliding_window whatever use_sliding_window says, and its eager attention mask applies it; the
     * exported decoder does the same.
     */
    private static final int DEFAULT_SLIDING_WINDOW = 4096;
    /** Qwen2VLConfig turns rope type "mrope" into "default": plain rotary frequencies, split by mrope_section. */
    private static final List<String> ROPE_TYPES = List.of("default", "mrope");

    private Qwen2VlConfigReader() {
    }

    /** Whether config.json is a Qwen2VLForConditionalGeneration checkpoint (model_type qwen2_vl). */
    public static boolean claims(JsonNode root) {
        List<String> architectures = HfConfigReader.architectures(root);
        return MODEL_TYPE.equals(HfConfigReader.modelType(root))
                && (architectures.isEmpty() || architectures.contains(ARCHITECTURE));
    }

    public static Qwen2VlConfig read(Path checkpointDir) {
        Path file = checkpointDir.resolve(HfConfigReader.CONFIG_FILE);
        JsonNode json = HfConfigReader.readJson(checkpointDir);
        if (!claims(json)) {
            throw new VlmscopeException("unknown architecture " + HfConfigReader.architectureOf(json) + " in " + file
                    + "; supported: " + SUPPORTED);
        }
        JsonFields root = new JsonFields(json, file + ": ");
        JsonFields textFields = root.objectOrNull("text_config");
        TextConfig text = parseText(textFields == null ? root : textFields, root);
        JsonFields visionFields = root.objectOrNull("vision_config");
        Qwen2VlVisionConfig vision = visionFields == null ? VISION_DEFAULTS : parseVision(visionFields);
        if (vision.hiddenSize() != text.hiddenSize()) {
            throw new VlmscopeException((visionFields == null ? root.path("vision_config") + " (default)"
                    : visionFields.path("hidden_size")) + " " + vision.hiddenSize() + " differs from the language "
                    + "model's hidden_size " + text.hiddenSize() + ": the patch merger's output is the LM's input");
        }
        return new Qwen2VlConfig(root.stringList("architectures"), vision, text,
                requiredTokenId(root, "image_token_id", "<|image_pad|>"),
                requiredTokenId(root, "vision_start_token_id", "<|vision_start|>"),
                requiredTokenId(root, "vision_end_token_id", "<|vision_end|>"),
                mropeSection(textFields == null ? root : textFields, text.headDim()));
    }

    private static TextConfig parseText(JsonFields fields, JsonFields root) {
        int hiddenSize = fields.positiveIntOr("hidden_size", DEFAULT_HIDDEN);
        int numHeads = fields.positiveIntOr("num_attention_heads", DEFAULT_HEADS);
        int numKvHeads = fields.positiveIntOr("num_key_value_heads", DEFAULT_KV_HEADS);
        if (numHeads % numKvHeads != 0) {
            throw new VlmscopeException(fields.path("num_attention_heads") + " " + numHeads
                    + " is not divisible by num_key_value_heads " + numKvHeads);
        }
        if (hiddenSize % numHeads != 0) {
            throw new VlmscopeException(fields.path("hidden_size") + " " + hiddenSize
                    + " is not divisible by num_attention_heads " + numHeads);
        }
        return new TextConfig("qwen2", hiddenSize,
                fields.positiveIntOr("intermediate_size", DEFAULT_INTERMEDIATE),
                fields.positiveIntOr("num_hidden_layers", DEFAULT_LAYERS), numHeads, numKvHeads,
                hiddenSize / numHeads,
                fields.positiveIntOr("vocab_size", DEFAULT_VOCAB),
                fields.positiveDoubleOr("rms_norm_eps", DEFAULT_RMS_NORM_EPS),
                fields.positiveDoubleOr("rope_theta", DEFAULT_ROPE_THETA),
                null, fields.positiveIntOr("max_position_embeddings", DEFAULT_MAX_POSITIONS), null, 1.0,
                root.boolOr("tie_word_embeddings", false),
                // Qwen2's q, k and v projections have biases (its o_proj has none: see the decoder's TextModel).
                true, false,
                HfActivations.read(fields, "hidden_act", "silu"),
                fields.positiveOrNullOr("sliding_window", DEFAULT_SLIDING_WINDOW),
                root.nullableIntOr("bos_token_id", null),
                root.intOrIntListOr("eos_token_id", List.of()),
                root.nullableIntOr("pad_token_id", null));
    }

    private static Qwen2VlVisionConfig parseVision(JsonFields fields) {
        Qwen2VlVisionConfig d = VISION_DEFAULTS;
        int embedDim = fields.positiveIntOr("embed_dim", d.embedDim());
        int numHeads = fields.positiveIntOr("num_heads", d.numHeads());
        // The 2-D rotary gives each head_dim / 4 frequency pairs to the row and to the column.
        if (embedDim % numHeads != 0 || (embedDim / numHeads) % 4 != 0) {
            throw new VlmscopeException(fields.path("embed_dim") + " " + embedDim + " / num_heads " + numHeads
                    + " must be a head size divisible by 4 (its rotary splits between rows and columns)");
        }
        double mlpRatio = fields.positiveDoubleOr("mlp_ratio", d.mlpRatio());
        if ((int) (embedDim * mlpRatio) < 1) {
            throw new VlmscopeException(fields.path("mlp_ratio") + " " + mlpRatio + " leaves the MLP no width");
        }
        return new Qwen2VlVisionConfig(fields.positiveIntOr("depth", d.depth()), embedDim,
                fields.positiveIntOr("hidden_size", d.hiddenSize()),
                HfActivations.read(fields, "hidden_act", d.hiddenAct()), mlpRatio, numHeads,
                fields.positiveIntOr("in_channels", d.inChannels()),
                fields.positiveIntOr("patch_size", d.patchSize()),
                fields.positiveIntOr("spatial_merge_size", d.spatialMergeSize()),
                fields.positiveIntOr("temporal_patch_size", d.temporalPatchSize()));
    }

    /** rope_scaling.mrope_section: 4.45's attention reads it unconditionally, so a config without it cannot run. */
    private static List<Integer> mropeSection(JsonFields fields, int headDim) {
        String expected = "3 non-negative integers (temporal, height, width) that sum to head_dim / 2 = " + headDim / 2;
        JsonFields scaling = fields.objectOrNull("rope_scaling");
        if (scaling == null) {
            throw new VlmscopeException(fields.path("rope_scaling") + " is missing: Qwen2-VL needs "
                    + "rope_scaling.mrope_section, " + expected);
        }
        // Qwen2VLConfig copies a legacy "type" over "rope_type", so "type" wins when both are present.
        String type = scaling.has("type") ? scaling.stringOr("type", null) : scaling.stringOr("rope_type", "default");
        if (!ROPE_TYPES.contains(type)) {
            throw new VlmscopeException(fields.path("rope_scaling") + " type " + type + " is not supported for "
                    + "qwen2_vl; supported: " + String.join(", ", ROPE_TYPES));
        }
        if (!scaling.hasValue("mrope_section")) {
            throw new VlmscopeException(scaling.path("mrope_section") + " is missing: expected " + expected);
        }
        List<Integer> section = scaling.intOrIntListOr("mrope_section", List.of());
        if (section.size() != 3 || section.stream().anyMatch(s -> s < 0)
                || section.stream().mapToInt(Integer::intValue).sum() * 2 != headDim) {
            throw scaling.error("mrope_section", "must be " + expected);
        }
        return section;
    }

    private static int requiredTokenId(JsonFields root, String key, String token) {
        if (!root.hasValue(key)) {
            throw new VlmscopeException(root.path(key) + " is missing: expected the id of " + token
                    + " (transformers 4.45's Qwen2VLConfig has no default for it)");
        }
        int id = root.intOr(key, 0);
        if (id < 0) {
            throw root.error(key, "must be a token id (>= 0)");
        }
        return id;
    }
}
