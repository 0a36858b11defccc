package org.vlmscope.runtime.image;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import org.vlmscope.core.SafetensorsWriter.NamedTensor;
import org.vlmscope.core.VlmscopeException;
import org.vlmscope.core.vocab.GraphNames;

/**
 * Hugging Face's {@code Qwen2VLImageProcessor} (transformers 4.45) for one still image, configured by a
 * checkpoint's {@code preprocessor_config.json}: {@link #smartResize} to multiples of
 * {@code patch_size * merge_size} within {@code [min_pixels, max_pixels]}, PIL bicubic resampling to 8-bit pixels,
 * rescale and normalise (the same float64/float32 steps as {@link ClipImageProcessor}), the frame repeated
 * {@code temporal_patch_size} times, then cut into patches of {@code 3 * temporal_patch_size * patch_size^2} values,
 * one row each, ordered window by window of {@code merge_size x merge_size} patches (HF's reshape to
 * {@code [t, T, C, h/m, m, P, w/m, m, P]} and permute {@code (0, 3, 6, 4, 7, 2, 1, 5, 8)}). The grid is
 * {@code image_grid_thw} = (1, height / patch_size, width / patch_size).
 */
public final class Qwen2VlImageProcessor implements ImageProcessor {
    /** HF's defaults when the config leaves a field out. */
    private static final int DEFAULT_MIN_PIXELS = 56 * 56;
    private static final int DEFAULT_MAX_PIXELS = 28 * 28 * 1280;
    /** smart_resize refuses a longer side more than this many times the shorter. */
    static final int MAX_ASPECT_RATIO = 200;
    /** Largest patch, merge or temporal size a config may give; Qwen2-VL uses 14, 2 and 2. */
    private static final int MAX_PATCH_SIDE = 64;

    private final Path config;
    private final boolean doResize;
    private final long minPixels;
    private final long maxPixels;
    private final int patchSize;
    private final int mergeSize;
    private final int temporalPatchSize;
    private final PixelNormalization normalization;

    private Qwen2VlImageProcessor(Path config, boolean doResize, long minPixels, long maxPixels, int patchSize,
                                  int mergeSize, int temporalPatchSize, PixelNormalization normalization) {
        this.config = config;
        this.doResize = doResize;
        this.minPixels = minPixels;
        this.maxPixels = maxPixels;
        this.patchSize = patchSize;
        this.mergeSize = mergeSize;
        this.temporalPatchSize = temporalPatchSize;
        this.normalization = normalization;
    }

    /**
     * Reads a {@code preprocessor_config.json}; missing fields take Qwen2VLImageProcessor's defaults
     * (min_pixels 56*56, max_pixels 28*28*1280, patch 14, merge 2, temporal patch 2, OpenAI CLIP mean and std).
     * {@code min_pixels}/{@code max_pixels} are read at the top level, else from {@code size}.
     */
    public static Qwen2VlImageProcessor fromConfig(Path preprocessorConfigJson) {
        PreprocessorConfig c = PreprocessorConfig.read(preprocessorConfigJson);
        JsonNode type = c.get("image_processor_type");
        if (type != null && !type.asText().equals("Qwen2VLImageProcessor")) {
            throw new VlmscopeException(c.file + ": image processor " + type.asText() + " is not supported: expected "
                    + "Qwen2VLImageProcessor (the Qwen2-VL preprocessing this class reproduces)");
        }
        c.requireBicubic();
        long minPixels = pixels(c, "min_pixels", DEFAULT_MIN_PIXELS);
        long maxPixels = pixels(c, "max_pixels", DEFAULT_MAX_PIXELS);
        if (minPixels > maxPixels) {
            throw new VlmscopeException(c.file + ": min_pixels " + minPixels + " exceeds max_pixels " + maxPixels);
        }
        int patch = side(c, "patch_size", 14);
        int merge = side(c, "merge_size", 2);
        int temporal = side(c, "temporal_patch_size", 2);
        PixelNormalization normalization = c.normalization();
        return new Qwen2VlImageProcessor(c.file, c.bool("do_resize"), minPixels, maxPixels, patch, merge, temporal,
                normalization);
    }

    private static long pixels(PreprocessorConfig c, String field, int fallback) {
        JsonNode node = c.get(field);
        JsonNode size = c.get("size");
        if (node == null && size != null && size.isObject()) {
            node = size.get(field);
        }
        return node == null || node.isNull() ? fallback : c.positive(field, node, ImageDecoder.DEFAULT_MAX_PIXELS);
    }

    private static int side(PreprocessorConfig c, String field, int fallback) {
        JsonNode node = c.get(field);
        return node == null || node.isNull() ? fallback : c.positive(field, node, MAX_PATCH_SIDE);
    }

    /**
     * HF's {@code smart_resize(height, width, factor, min_pixels, max_pixels)}: (height, width) rounded to the
     * nearest multiples of {@code factor} (Python's round, half to even); if their product exceeds
     * {@code maxPixels}, both are scaled by {@code beta = sqrt(h * w / maxPixels)} and floored to multiples of
     * {@code factor}; if it is below {@code minPixels}, scaled by {@code beta = sqrt(minPixels / (h * w))} and
     * ceiled.
     *
     * @return {height, width}
     * @throws VlmscopeException as HF raises: a side shorter than {@code factor}, or an aspect ratio above 200
     */
    public static int[] smartResize(int height, int width, int factor, long minPixels, long maxPixels) {
        if (height < factor || width < factor) {
            throw new VlmscopeException(String.format(Locale.ROOT, "the image is %dx%d pixels: Qwen2-VL needs both "
                    + "sides at least %d (patch size x merge size), as Hugging Face's smart_resize", width, height,
                    factor));
        }
        if ((double) Math.max(height, width) / Math.min(height, width) > MAX_ASPECT_RATIO) {
            throw new VlmscopeException(String.format(Locale.ROOT, "the image is %dx%d pixels: its aspect ratio "
                    + "%.1f exceeds %d, the most Hugging Face's smart_resize accepts", width, height,
                    (double) Math.max(height, width) / Math.min(height, width), MAX_ASPECT_RATIO));
        }
        long hBar = (long) Math.rint((double) height / factor) * factor;
        long wBar = (long) Math.rint((double) width / factor) * factor;
        if (hBar * wBar > maxPixels) {
            double beta = Math.sqrt((double) ((long) height * width) / maxPixels);
            hBar = (long) Math.floor(height / beta / factor) * factor;
            wBar = (long) Math.floor(width / beta / factor) * factor;
        } else if (hBar * wBar < minPixels) {
            double beta = Math.sqrt((double) minPixels / ((long) height * width));
            hBar = (long) Math.ceil(height * beta / factor) * factor;
            wBar = (long) Math.ceil(width * beta / factor) * factor;
        }
        return new int[] {Math.toIntExact(hBar), Math.toIntExact(wBar)};
    }

    @Override
    public NamedTensor pixelValues(RgbImage image) {
        return vision(image).pixelValues();
    }

    /** The image's pixel rows [patches, 3 * T * P * P] and its grid. */
    @Override
    public VisionInput vision(RgbImage image) {
        int[] hw = processedSize(image.width(), image.height());
        RgbImage x = doResize ? PilResize.bicubic(image, hw[1], hw[0]) : image;
        ImageGrid grid = new ImageGrid(1, x.height() / patchSize, x.width() / patchSize);
        return new VisionInput(NamedTensor.ofFloats(GraphNames.PIXEL_VALUES,
                new long[] {grid.patches(), rowWidth()}, patchRows(x, grid)), List.of(grid));
    }

    /**
     * The visual-token grid of a {@code width x height} image, without decoding it: its processed size (see
     * {@link #smartResize}) in cells of {@code patch_size x merge_size} pixels (28 for Qwen2-VL).
     */
    public TokenGrid tokenGrid(int width, int height) {
        int[] hw = processedSize(width, height);
        int cell = patchSize * mergeSize;
        return new TokenGrid(hw[0] / cell, hw[1] / cell);
    }

    /**
     * How this processor sizes an image's grid, for people: "smart_resize, 28 px cells, min_pixels 3136, max_pixels
     * 1003520" (or, with do_resize false, the image's own size in whole cells).
     */
    public String gridRule() {
        int cell = patchSize * mergeSize;
        return doResize ? String.format(Locale.ROOT, "smart_resize, %d px cells, min_pixels %d, max_pixels %d", cell,
                minPixels, maxPixels) : String.format(Locale.ROOT, "no resize, %d px cells", cell);
    }

    /** {height, width} of the image the patches are cut from; refuses what HF's processor would refuse. */
    private int[] processedSize(int width, int height) {
        int factor = patchSize * mergeSize;
        if (doResize) {
            int[] hw = smartResize(height, width, factor, minPixels, maxPixels);
            if (hw[0] == 0 || hw[1] == 0 || (long) hw[0] * hw[1] > ImageDecoder.DEFAULT_MAX_PIXELS) {
                throw new VlmscopeException(String.format(Locale.ROOT, "%s resizes a %dx%d image to %dx%d: "
                        + "expected a non-empty image of at most %,d pixels (the aspect ratio is too extreme for "
                        + "max_pixels %d)", config, width, height, hw[1], hw[0],
                        ImageDecoder.DEFAULT_MAX_PIXELS, maxPixels));
            }
            return hw;
        }
        if (height % factor != 0 || width % factor != 0) {
            throw new VlmscopeException(String.format(Locale.ROOT, "%s sets do_resize false, but the image is "
                    + "%dx%d pixels: expected both sides multiples of %d (patch size x merge size)", config,
                    width, height, factor));
        }
        return new int[] {height, width};
    }

    /** Values in one pixel row: channels x temporal copies x patch rows x patch columns. */
    public int rowWidth() {
        return 3 * temporalPatchSize * patchSize * patchSize;
    }

    /**
     * Normalises each pixel once, then copies patch by patch: row {@code r} of the output is patch
     * (row, col) of the grid, taken window by window ({@code merge x merge} patches, row-major inside a window,
     * windows row-major); inside a row the values run over channel, temporal copy, pixel row, pixel column.
     */
    private float[] patchRows(RgbImage x, ImageGrid grid) {
        int w = x.width();
        int plane = w * x.height();
        float[] normalized = new float[3 * plane];
        byte[] rgb = x.rgb();
        for (int p = 0; p < plane; p++) {
            for (int c = 0; c < 3; c++) {
                normalized[c * plane + p] = normalization.apply(rgb[p * 3 + c] & 0xFF, c);
            }
        }
        int width = rowWidth();
        int patchArea = patchSize * patchSize;
        float[] out = new float[grid.patches() * width];
        int o = 0;
        for (int wr = 0; wr < grid.mergedRows(mergeSize); wr++) {
            for (int wc = 0; wc < grid.mergedCols(mergeSize); wc++) {
                for (int i = 0; i < mergeSize; i++) {
                    for (int j = 0; j < mergeSize; j++) {
                        int top = (wr * mergeSize + i) * patchSize;
                        int left = (wc * mergeSize + j) * patchSize;
                        for (int c = 0; c < 3; c++) {
                            int channelStart = o + c * temporalPatchSize * patchArea;
                            for (int py = 0; py < patchSize; py++) {
                                System.arraycopy(normalized, c * plane + (top + py) * w + left, out,
                                        channelStart + py * patchSize, patchSize);
                            }
                            // Every temporal copy is the same frame.
                            for (int t = 1; t < temporalPatchSize; t++) {
                                System.arraycopy(out, channelStart, out, channelStart + t * patchArea, patchArea);
                            }
                        }
                        o += width;
                    }
                }
            }
        }
        return out;
    }
}
