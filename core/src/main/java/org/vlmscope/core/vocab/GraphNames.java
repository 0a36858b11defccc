package org.vlmscope.core.vocab;

import java.util.List;

/**
 * The graphs of a model directory and the names of their inputs and outputs, as the exporter writes them and
 * the runtime feeds them (the decoder's follow Hugging Face's ONNX export: {@code past_key_values.{i}.key} in,
 * {@code present.{i}.key} out).
 */
public final class GraphNames {
    public static final String VISION = "vision";
    public static final String EMBED = "embed";
    public static final String DECODER = "decoder";
    /** The graphs in the order a prompt runs through them. */
    public static final List<String> ALL = List.of(VISION, EMBED, DECODER);

    public static final String PIXEL_VALUES = "pixel_values";
    public static final String IMAGE_FEATURES = "image_features";
    public static final String INPUT_IDS = "input_ids";
    public static final String INPUTS_EMBEDS = "inputs_embeds";
    public static final String ATTENTION_MASK = "attention_mask";
    public static final String POSITION_IDS = "position_ids";
    /**
     * Qwen2-VL's vision graph: int64 [patches, 2], the (row, column) of each row of pixel_values on its image's
     * patch grid (before the 2x2 merge), in pixel_values' row order; the vision tower's 2-D rotary reads it.
     */
    public static final String VISION_POSITION_IDS = "vision_position_ids";
    /** Qwen2-VL's vision graph: int64 [patches], the image each row of pixel_values belongs to; attention stays within it. */
    public static final String VISION_SEGMENT_IDS = "vision_segment_ids";
    public static final String LOGITS = "logits";
    /** The input the logit-positions pass adds: int64 [positions] where logits are computed (-1 the last). */
    public static final String LOGIT_POSITIONS = "logits.positions";

    /** Outputs the logit-lens pass adds: [rows, batch, sequence, k] and, for targets, [rows, batch, sequence, t]. */
    public static final String LENS_TOP_IDS = "lens.top_ids";
    public static final String LENS_TOP_LOGITS = "lens.top_logits";
    public static final String LENS_TOP_PROBS = "lens.top_probs";
    public static final String LENS_TARGET_PROBS = "lens.target_probs";
    public static final List<String> LENS_OUTPUTS = List.of(LENS_TOP_IDS, LENS_TOP_LOGITS, LENS_TOP_PROBS,
            LENS_TARGET_PROBS);
    /** The final norm's weight [d_model] in an exported decoder; the logit lens reads it in place. */
    public static final String FINAL_NORM_WEIGHT = "ln_final.w";
    /** The unembedding Linear of an exported decoder; its weight [d_model, vocab] is {@link #UNEMBED_WEIGHT}. */
    public static final String UNEMBED = "unembed";
    /** The exporter names a Linear's weight {@code <name>.W}; the logit lens reads this one in place. */
    public static final String UNEMBED_WEIGHT = UNEMBED + ".W";

    /** Prefix shared by the lens outputs. */
    public static final String LENS_PREFIX = "lens.";

    /** The attention-bias input's name with its layer index left as {@code {i}}, for help texts. */
    public static final String ATTENTION_BIAS_TEMPLATE = "blocks.{i}.attn.bias";

    private GraphNames() {
    }

    /** The key cache of decoder layer {@code i}, fed back in. */
    public static String pastKey(int i) {
        return "past_key_values." + i + ".key";
    }

    public static String pastValue(int i) {
        return "past_key_values." + i + ".value";
    }

    /** The key cache of decoder layer {@code i} after this run's positions. */
    public static String presentKey(int i) {
        return "present." + i + ".key";
    }

    public static String presentValue(int i) {
        return "present." + i + ".value";
    }

    /** The value input the patch pass adds for {@code hook}: what is written where the mask is 1. */
    public static String patchValue(String hook) {
        return hook + ".patch_value";
    }

    /** The mask input the patch pass adds for {@code hook}: 1 where the value replaces the activation. */
    public static String patchMask(String hook) {
        return hook + ".patch_mask";
    }

    /** The unpatched activation of {@code hook}, still readable after the patch pass. */
    public static String clean(String hook) {
        return hook + ".clean";
    }

    /** The scores of {@code hook} before the attention-bias pass added its bias. */
    public static String unbiased(String hook) {
        return hook + ".unbiased";
    }

    /** The extra input the attention-bias pass adds to decoder layer {@code i}. */
    public static String attentionBias(int i) {
        return HookName.block(i) + ".attn.bias";
    }
}
