package org.vlmscope.runtime.image;

/**
 * The visual tokens of one image as the language model sees them: {@code rows x cols} tokens, row-major, the
 * image's top-left first. LLaVA's is the manifest's fixed grid (24 x 24 for 336-pixel CLIP); Qwen2-VL's is the
 * image's patch grid divided by the merge size, so it changes with the image's size and aspect ratio.
 */
public record TokenGrid(int rows, int cols) {
    public TokenGrid {
        if (rows <= 0 || cols <= 0) {
            throw new IllegalArgumentException("a visual-token grid needs positive sides, got " + rows + "x" + cols);
        }
    }

    public int tokens() {
        return rows * cols;
    }

    @Override
    public String toString() {
        return rows + "x" + cols;
    }
}
