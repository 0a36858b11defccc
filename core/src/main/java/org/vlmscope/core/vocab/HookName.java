package org.vlmscope.core.vocab;

import java.util.regex.Pattern;

/**
 * Every hook name vlmscope knows, built in one place as TransformerLens's {@code utils.get_act_name} does:
 * {@code HookName.residPost(3)} is {@code blocks.3.hook_resid_post}. The exporter names graph tensors with these,
 * the runtime and CLI look them up with these; no other class spells a hook name.
 */
public final class HookName {
    /** Token embeddings, before image features are written in (embed graph). */
    public static final String EMBED = "hook_embed";
    /** Final norm before its weight (decoder graph). */
    public static final String LN_FINAL = "ln_final.hook_normalized";
    /** The decoder's output logits, listed among its hooks. */
    public static final String LOGITS = GraphNames.LOGITS;
    /** CLIP embeddings after pre_layrnorm. */
    public static final String VISION_EMBED = "vision.hook_embed";
    /** The selected vision layer's output, CLS dropped where the model does. */
    public static final String VISION_FEATURES = "vision.hook_features";
    /** The projector's output: the visual tokens the LM reads. */
    public static final String PROJECTOR_OUT = "projector.hook_out";

    /** Glob of every decoder layer's output. */
    public static final String EVERY_RESID_POST = "blocks.*.hook_resid_post";
    /** Regular expression of every decoder layer's attention scores. */
    public static final String ATTN_SCORES_REGEX = "blocks\\.\\d+\\.attn\\.hook_attn_scores";

    /**
     * A layer's hook split around its index: group 1 up to and including {@code blocks.} (decoder or vision),
     * group 2 the layer index, group 3 the rest from the dot on.
     */
    public static final Pattern LAYER_INDEX = Pattern.compile("(.*?blocks\\.)(\\d+)(\\..+)");

    private static final String BLOCKS = "blocks.";
    private static final String VISION_BLOCKS = "vision.blocks.";

    private HookName() {
    }

    /** Module path of decoder layer {@code i} ({@code blocks.i}); graph tensor names inside it start with it. */
    public static String block(int i) {
        return BLOCKS + i;
    }

    /** Module path of vision encoder layer {@code i} ({@code vision.blocks.i}). */
    public static String visionBlock(int i) {
        return VISION_BLOCKS + i;
    }

    /** Layer i's input: for layer 0 the LM input embeddings. */
    public static String residPre(int i) {
        return block(i) + ".hook_resid_pre";
    }

    public static String residMid(int i) {
        return block(i) + ".hook_resid_mid";
    }

    public static String residPost(int i) {
        return block(i) + ".hook_resid_post";
    }

    /** The attention input norm, before its weight. */
    public static String ln1Normalized(int i) {
        return block(i) + ".ln1.hook_normalized";
    }

    /** The MLP input norm, before its weight. */
    public static String ln2Normalized(int i) {
        return block(i) + ".ln2.hook_normalized";
    }

    /** Queries [batch, seq, heads, head_dim], before rotary. */
    public static String q(int i) {
        return block(i) + ".attn.hook_q";
    }

    public static String k(int i) {
        return block(i) + ".attn.hook_k";
    }

    public static String v(int i) {
        return block(i) + ".attn.hook_v";
    }

    /** Masked, pre-softmax attention scores. */
    public static String attnScores(int i) {
        return block(i) + ".attn.hook_attn_scores";
    }

    public static String pattern(int i) {
        return block(i) + ".attn.hook_pattern";
    }

    public static String z(int i) {
        return block(i) + ".attn.hook_z";
    }

    public static String attnOut(int i) {
        return block(i) + ".hook_attn_out";
    }

    public static String mlpOut(int i) {
        return block(i) + ".hook_mlp_out";
    }

    public static String visionResidMid(int i) {
        return visionBlock(i) + ".hook_resid_mid";
    }

    public static String visionResidPost(int i) {
        return visionBlock(i) + ".hook_resid_post";
    }

    public static String visionPattern(int i) {
        return visionBlock(i) + ".attn.hook_pattern";
    }

    /** The glob naming {@code hook} in every layer: {@code blocks.*.attn.hook_q} for layer 3's hook_q. */
    public static String everyLayer(String hook) {
        java.util.regex.Matcher m = LAYER_INDEX.matcher(hook);
        return m.matches() ? m.group(1) + "*" + m.group(3) : hook;
    }

    /** Whether {@code name} is a decoder layer's hook (so a layer index follows {@code blocks.}). */
    public static boolean isDecoderLayerHook(String name) {
        return name.startsWith(BLOCKS);
    }
}
