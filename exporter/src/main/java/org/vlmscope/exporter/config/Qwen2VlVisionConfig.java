package org.vlmscope.exporter.config;

/**
 * The vision tower of a Qwen2-VL checkpoint, every field filled as transformers 4.45's {@code Qwen2VLVisionConfig}
 * fills it.
 *
 * @param depth number of vision blocks
 * @param embedDim width of the blocks
 * @param hiddenSize width of the patch merger's output, the language model's hidden size
 * @param hiddenAct activation of the blocks' MLP ({@code quick_gelu} by default)
 * @param mlpRatio the blocks' MLP width over embedDim (HF truncates the product to an int)
 * @param numHeads attention heads of each block
 * @param inChannels colour channels of a patch
 * @param patchSize side of a square patch in pixels
 * @param spatialMergeSize side of the square of patches the merger turns into one visual token
 * @param temporalPatchSize frames per patch (an image is repeated to fill them)
 */
public record Qwen2VlVisionConfig(int depth, int embedDim, int hiddenSize, String hiddenAct, double mlpRatio,
                                  int numHeads, int inChannels, int patchSize, int spatialMergeSize,
                                  int temporalPatchSize) {

    /** The blocks' MLP width: {@code int(embed_dim * mlp_ratio)}. */
    public int mlpHiddenDim() {
        return (int) (embedDim * mlpRatio);
    }

    public int headDim() {
        return embedDim / numHeads;
    }

    /** Values in one row of pixel_values: channels x frames x patch x patch. */
    public int patchValues() {
        return inChannels * temporalPatchSize * patchSize * patchSize;
    }
}
