package org.vlmscope.runtime.family;

import java.util.List;
import org.vlmscope.core.VlmscopeException;
import org.vlmscope.runtime.image.ImageGrid;

/**
 * Qwen2-VL's M-RoPE position ids, Hugging Face's {@code get_rope_index} for images: three axes (temporal,
 * height, width). Text tokens count up on all three axes together; an image's {@code t x h x w} merged tokens
 * (h and w the patch grid divided by the merge size) take {@code (start + ti, start + hi, start + wi)}, where
 * {@code start} is the position after the text before it; the text after an image resumes at one past the largest
 * position so far. Each row restarts at 0 after its left padding, which takes position 1 on every axis.
 *
 * <p>An image is counted, as HF counts it, where a {@code <|vision_start|>} is followed by an image token; its
 * tokens are the next run of image tokens, which must be exactly as long as its grid says. Any other image token,
 * or a grid left over, is refused: HF would silently number such a sequence as text.
 */
public final class MultimodalRopePositions implements PositionIds {
    static final int AXES = 3;

    private final long imageTokenId;
    private final long visionStartTokenId;
    private final int spatialMergeSize;

    public MultimodalRopePositions(long imageTokenId, long visionStartTokenId, int spatialMergeSize) {
        this.imageTokenId = imageTokenId;
        this.visionStartTokenId = visionStartTokenId;
        this.spatialMergeSize = spatialMergeSize;
    }

    @Override
    public long[][][] prompt(long[][] ids, int[] padding, List<ImageGrid> grids) {
        int length = ids.length == 0 ? 0 : ids[0].length;
        long[][][] pos = new long[AXES][ids.length][length];
        int image = 0;
        for (int b = 0; b < ids.length; b++) {
            image = row(ids[b], padding[b], grids, image, pos, b);
        }
        if (image != grids.size()) {
            throw new VlmscopeException(grids.size() + " image grids were given, but the prompts mark " + image
                    + " images (<|vision_start|> followed by image tokens, id " + imageTokenId + ")");
        }
        return pos;
    }

    /** Fills row {@code b} of {@code pos}; returns the index of the next unused grid. */
    private int row(long[] ids, int padding, List<ImageGrid> grids, int image, long[][][] pos, int b) {
        for (long[][] axis : pos) {
            java.util.Arrays.fill(axis[b], 0, padding, 1);
        }
        int images = 0;
        for (int i = padding; i + 1 < ids.length; i++) {
            if (ids[i] == visionStartTokenId && ids[i + 1] == imageTokenId) {
                images++;
            }
        }
        int st = padding;
        long next = 0;
        for (int k = 0; k < images; k++) {
            int ed = st;
            while (ids[ed] != imageTokenId) {
                ed++;
            }
            if (image >= grids.size()) {
                throw new VlmscopeException("the prompts mark more images than the " + grids.size()
                        + " image grids given (row " + b + ", image tokens at position " + (ed - padding) + ")");
            }
            ImageGrid grid = grids.get(image++);
            int rows = grid.mergedRows(spatialMergeSize);
            int cols = grid.mergedCols(spatialMergeSize);
            int tokens = grid.tokens(spatialMergeSize);
            checkRun(ids, ed, tokens, grid, b, padding);
            next = text(pos, b, st, ed, next);
            long start = next;
            int at = ed;
            long max = start;
            for (int t = 0; t < grid.frames(); t++) {
                for (int h = 0; h < rows; h++) {
                    for (int w = 0; w < cols; w++) {
                        pos[0][b][at] = start + t;
                        pos[1][b][at] = start + h;
                        pos[2][b][at] = start + w;
                        at++;
                    }
                }
            }
            max = Math.max(max, start + Math.max(grid.frames() - 1, Math.max(rows - 1, cols - 1)));
            next = max + 1;
            st = ed + tokens;
        }
        for (int i = st; i < ids.length; i++) {
            if (ids[i] == imageTokenId) {
                throw new VlmscopeException("row " + b + " has an image token (id " + imageTokenId + ") at position "
                        + (i - padding) + " outside every image's run: each image's tokens must follow a "
                        + "<|vision_start|> (id " + visionStartTokenId + ") and match its grid");
            }
        }
        text(pos, b, st, ids.length, next);
        return image;
    }

    /** Text tokens [from, to) count up from {@code next} on every axis; returns the next free position. */
    private static long text(long[][][] pos, int b, int from, int to, long next) {
        for (int i = from; i < to; i++) {
            for (long[][] axis : pos) {
                axis[b][i] = next + (i - from);
            }
        }
        return next + (to - from);
    }

    /** An image's run of image tokens at {@code ed} must be exactly {@code tokens} long. */
    private void checkRun(long[] ids, int ed, int tokens, ImageGrid grid, int b, int padding) {
        int run = 0;
        while (ed + run < ids.length && ids[ed + run] == imageTokenId) {
            run++;
        }
        if (run != tokens) {
            throw new VlmscopeException("row " + b + " has " + run + " image tokens (id " + imageTokenId
                    + ") at position " + (ed - padding) + ", but the image's grid " + grid + " makes " + tokens
                    + " visual tokens (" + grid.frames() + " x " + grid.rows() + "/" + spatialMergeSize + " x "
                    + grid.cols() + "/" + spatialMergeSize + ")");
        }
    }
}
