package org.vlmscope.runtime.text;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.vlmscope.core.VlmscopeException;
import org.vlmscope.runtime.image.TokenGrid;
import org.vlmscope.runtime.run.ImageTokens;

/**
 * The LM input of a prompt and its images: {@code [BOS, text, image 0's visual tokens, text, image 1's ..., text]}
 * (EXPERIMENTS.md, "Positions"). {@code ids} is expanded (one image-token id per visual token); {@code images} are
 * the runs of visual tokens in order, each with its start and its own grid. LLaVA's prompts hold one image;
 * Qwen2-VL's may hold several.
 *
 * <p>The one-image accessors ({@link #start()}, {@link #position(int)}, {@link #cell(int)}, ...) describe the
 * prompt's only image, as the experiments use them; on a prompt with several images they refuse, so that no caller
 * silently reads the first image as if it were the whole picture: use {@link #images()} there.
 */
public record Sequence(long[] ids, List<ImageRun> images) {

    /** A cell of the visual-token grid, row 0 at the top, column 0 at the left. */
    public record Cell(int row, int col) {
    }

    /**
     * One image's run of visual tokens: visual token {@code k} sits at position {@code start + k} and, row-major on
     * {@code grid}, in cell {@code (k / grid.cols(), k % grid.cols())}.
     */
    public record ImageRun(int start, TokenGrid grid) {
        public ImageRun {
            if (start < 0) {
                throw new IllegalArgumentException("an image's visual tokens cannot start at position " + start);
            }
        }

        public int tokens() {
            return grid.tokens();
        }

        /** One past the position of the last visual token. */
        public int end() {
            return start + grid.tokens();
        }

        /** Position of visual token {@code k}. */
        public int position(int k) {
            checkVisualIndex(k);
            return start + k;
        }

        /** Position of the visual token in grid cell ({@code row}, {@code col}). */
        public int position(int row, int col) {
            return start + visualIndex(row, col);
        }

        public boolean contains(int position) {
            return position >= start && position < end();
        }

        /** Index {@code k} of the visual token at {@code position}. */
        public int visualIndex(int position) {
            if (!contains(position)) {
                throw new IllegalArgumentException("position " + position + " is not a visual token; they are at "
                        + start + "-" + (end() - 1));
            }
            return position - start;
        }

        /** Index {@code k} of the visual token in grid cell ({@code row}, {@code col}). */
        public int visualIndex(int row, int col) {
            if (row < 0 || row >= grid.rows() || col < 0 || col >= grid.cols()) {
                throw new IllegalArgumentException("cell (" + row + ", " + col + ") is outside the " + grid
                        + " grid");
            }
            return row * grid.cols() + col;
        }

        /** Grid cell of visual token {@code k}. */
        public Cell cell(int k) {
            checkVisualIndex(k);
            return new Cell(k / grid.cols(), k % grid.cols());
        }

        /** Positions {@code start .. end - 1}. */
        public int[] positions() {
            return range(start, end());
        }

        private void checkVisualIndex(int k) {
            if (k < 0 || k >= tokens()) {
                throw new IllegalArgumentException("visual token " + k + " is outside 0-" + (tokens() - 1));
            }
        }
    }

    public Sequence {
        if (images.isEmpty()) {
            throw new IllegalArgumentException("a sequence holds at least one image's visual tokens");
        }
        images = List.copyOf(images);
        int free = 0;
        for (ImageRun image : images) {
            if (image.start() < free || image.end() > ids.length) {
                throw new IllegalArgumentException("visual tokens at positions " + image.start() + "-"
                        + (image.end() - 1) + " do not fit a sequence of " + ids.length + " after position " + free);
            }
            free = image.end();
        }
        ids = ids.clone();
    }

    /** One image whose {@code visualTokens} tokens start at {@code start} on a grid {@code gridWidth} wide. */
    public Sequence(long[] ids, int start, int visualTokens, int gridWidth) {
        this(ids, List.of(new ImageRun(start, grid(visualTokens, gridWidth))));
    }

    private static TokenGrid grid(int visualTokens, int gridWidth) {
        if (visualTokens <= 0 || gridWidth <= 0 || visualTokens % gridWidth != 0) {
            throw new IllegalArgumentException(visualTokens + " visual tokens do not fill rows of width " + gridWidth);
        }
        return new TokenGrid(visualTokens / gridWidth, gridWidth);
    }

    /**
     * Expands the one image placeholder of {@code promptIds} (a tokenized prompt, BOS included) to
     * {@code visualTokens} image-token ids; the visual tokens start where the placeholder was.
     */
    public static Sequence expand(long[] promptIds, long imageTokenId, int visualTokens, int gridWidth) {
        return expand(promptIds, imageTokenId, List.of(grid(visualTokens, gridWidth)));
    }

    /**
     * Expands each image placeholder of {@code promptIds} (one image-token id each, BOS included), in order, to the
     * visual tokens of its image's grid; the prompt must hold exactly one placeholder per grid.
     */
    public static Sequence expand(long[] promptIds, long imageTokenId, List<TokenGrid> grids) {
        int count = ImageTokens.count(promptIds, imageTokenId);
        if (count != grids.size()) {
            throw new VlmscopeException("the tokenized prompt holds " + count + " image placeholders (id "
                    + imageTokenId + "); expected exactly " + (grids.size() == 1 ? "one, where the image goes"
                    : grids.size() + ", one where each image goes") + ": " + Arrays.toString(promptIds));
        }
        int length = promptIds.length - count;
        for (TokenGrid g : grids) {
            length = Math.addExact(length, g.tokens());
        }
        long[] ids = new long[length];
        List<ImageRun> images = new ArrayList<>();
        int at = 0;
        for (long id : promptIds) {
            if (id != imageTokenId) {
                ids[at++] = id;
                continue;
            }
            TokenGrid grid = grids.get(images.size());
            images.add(new ImageRun(at, grid));
            Arrays.fill(ids, at, at + grid.tokens(), imageTokenId);
            at += grid.tokens();
        }
        return new Sequence(ids, images);
    }

    /**
     * The sequence of ids whose image is already expanded: its one run of {@code grid.tokens()} image tokens lies on
     * {@code grid} (an image's own grid, for a family whose grid depends on the image).
     */
    public static Sequence ofExpanded(long[] ids, long imageTokenId, TokenGrid grid) {
        return ofExpanded(ids, imageTokenId, List.of(grid));
    }

    /**
     * The sequence of ids whose images are already expanded: its runs of image tokens, in order, lie on
     * {@code grids}, each run exactly as long as its grid has tokens.
     */
    public static Sequence ofExpanded(long[] ids, long imageTokenId, List<TokenGrid> grids) {
        List<ImageRun> images = new ArrayList<>();
        List<Integer> runs = new ArrayList<>();
        for (int i = 0; i < ids.length; ) {
            if (ids[i] != imageTokenId) {
                i++;
                continue;
            }
            int run = 0;
            while (i + run < ids.length && ids[i + run] == imageTokenId) {
                run++;
            }
            runs.add(run);
            if (images.size() < grids.size()) {
                images.add(new ImageRun(i, grids.get(images.size())));
            }
            i += run;
        }
        List<Integer> want = grids.stream().map(TokenGrid::tokens).toList();
        if (!runs.equals(want)) {
            throw new VlmscopeException("the ids hold runs of " + runs + " image tokens (id " + imageTokenId
                    + "); expected runs of " + want + " for the " + grids + " grids of visual tokens");
        }
        return new Sequence(ids, images);
    }

    @Override
    public long[] ids() {
        return ids.clone();
    }

    public int length() {
        return ids.length;
    }

    /** The prompt's only image; a prompt with several is refused (see the class comment). */
    public ImageRun image() {
        if (images.size() != 1) {
            throw new IllegalStateException("this prompt holds " + images.size() + " images; a one-image question "
                    + "(start, grid, cell) has no single answer: ask images() for each image's run");
        }
        return images.get(0);
    }

    /** Position of the only image's first visual token. */
    public int start() {
        return image().start();
    }

    public int visualTokens() {
        return image().tokens();
    }

    public int gridWidth() {
        return image().grid().cols();
    }

    public int gridHeight() {
        return image().grid().rows();
    }

    /** Position of visual token {@code k} of the only image. */
    public int position(int k) {
        return image().position(k);
    }

    /** Position of the only image's visual token in grid cell ({@code row}, {@code col}). */
    public int position(int row, int col) {
        return image().position(row, col);
    }

    /** Whether {@code position} holds a visual token of any image. */
    public boolean isVisual(int position) {
        return images.stream().anyMatch(image -> image.contains(position));
    }

    /** Index {@code k} of the only image's visual token at {@code position}. */
    public int visualIndex(int position) {
        return image().visualIndex(position);
    }

    /** Index {@code k} of the only image's visual token in grid cell ({@code row}, {@code col}). */
    public int visualIndex(int row, int col) {
        return image().visualIndex(row, col);
    }

    /** Grid cell of the only image's visual token {@code k}. */
    public Cell cell(int k) {
        return image().cell(k);
    }

    /** The only image's positions {@code start .. start + visualTokens - 1}. */
    public int[] visualPositions() {
        return image().positions();
    }

    /** Positions of the prompt text after the only image, up to the last position. */
    public int[] textPositionsAfterImage() {
        return range(image().end(), ids.length);
    }

    /** The last position: where the next token is predicted. */
    public int lastPosition() {
        return ids.length - 1;
    }

    private static int[] range(int from, int to) {
        int[] out = new int[to - from];
        for (int i = 0; i < out.length; i++) {
            out[i] = from + i;
        }
        return out;
    }

    /** By content: a record's default would compare the id arrays by identity. */
    @Override
    public boolean equals(Object o) {
        return o instanceof Sequence s && Arrays.equals(ids, s.ids) && images.equals(s.images);
    }

    @Override
    public int hashCode() {
        return 31 * Arrays.hashCode(ids) + images.hashCode();
    }

    @Override
    public String toString() {
        StringBuilder runs = new StringBuilder();
        for (ImageRun image : images) {
            runs.append(runs.length() == 0 ? "" : ", ").append(image.start()).append('-').append(image.end() - 1)
                    .append(" on a ").append(image.grid()).append(" grid");
        }
        return "Sequence[" + ids.length + " ids, visual tokens " + runs + "]";
    }
}
