package org.vlmscope.runtime.image;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Path;
import java.util.Locale;
import org.vlmscope.core.SafetensorsWriter.NamedTensor;
import org.vlmscope.core.VlmscopeException;
import org.vlmscope.core.vocab.GraphNames;

/**
 * Hugging Face's {@code CLIPImageProcessor} (transformers 4.45), configured by a checkpoint's
 * {@code preprocessor_config.json}: resize (shortest edge, or an exact height and width) with PIL's bicubic
 * resampling to 8-bit pixels, centre crop, rescale, normalise, channels first.
 *
 * <p>The arithmetic follows HF to the last bit: the resize target is {@code int(size * long / short)}; the crop
 * offset is {@code (h - crop_h) // 2} (a crop larger than the image pads with zeros, before rescaling, as HF's
 * {@code center_crop} does); rescaling multiplies in float64 and rounds to float32; normalisation is
 * {@code (x - mean) / std} in float32 with mean and std rounded to float32. {@code do_convert_rgb} needs no
 * step here: {@link ImageDecoder} always yields PIL's RGB conversion.
 *
 * <p>{@link #processPadded} is LLaVA's "pad" variant: the image is first pasted centred on a square of the mean
 * colour {@code int(mean * 255)}, as LLaVA's {@code expand2square}, then processed.
 */
public final class ClipImageProcessor implements ImageProcessor {
    /** Name of the vision graph's input. */
    public static final String PIXEL_VALUES = GraphNames.PIXEL_VALUES;
    /** The file Hugging Face saves an image processor's settings in, beside the model. */
    public static final String CONFIG_FILE = ImageProcessor.CONFIG_FILE;

    /** Largest resize or crop side a config may ask for; CLIP-style processors use a few hundred pixels. */
    static final int MAX_SIDE = 4096;
    /**
     * Largest image the resizer may produce, and largest weight table it may build per axis (output pixels times
     * kernel taps): an extreme aspect ratio resized by its shortest edge would otherwise exhaust the heap.
     */
    static final long MAX_RESIZE_PIXELS = ImageDecoder.DEFAULT_MAX_PIXELS;

    private final boolean doResize;
    /** The shortest-edge target, or 0 when {@link #resizeHeight} and {@link #resizeWidth} are exact. */
    private final int shortestEdge;
    private final int resizeHeight;
    private final int resizeWidth;
    private final boolean doCenterCrop;
    private final int cropHeight;
    private final int cropWidth;
    private final PixelNormalization normalization;

    /** The config file, named in errors about what it asks for. */
    private final Path config;

    private ClipImageProcessor(Path config, boolean doResize, int shortestEdge, int resizeHeight, int resizeWidth,
            boolean doCenterCrop, int cropHeight, int cropWidth, PixelNormalization normalization) {
        this.config = config;
        this.doResize = doResize;
        this.shortestEdge = shortestEdge;
        this.resizeHeight = resizeHeight;
        this.resizeWidth = resizeWidth;
        this.doCenterCrop = doCenterCrop;
        this.cropHeight = cropHeight;
        this.cropWidth = cropWidth;
        this.normalization = normalization;
    }

    /**
     * Reads a {@code preprocessor_config.json}. Missing fields take CLIPImageProcessor's defaults (resize the
     * shortest edge to 224, crop 224x224, rescale by 1/255, OpenAI CLIP mean and std); {@code size} and
     * {@code crop_size} may be dictionaries or, as in older checkpoints, plain integers.
     *
     * @throws VlmscopeException naming the file and field when it is missing, not JSON, not a CLIP image
     *     processor, or asks for something other than bicubic resampling
     */
    public static ClipImageProcessor fromConfig(Path preprocessorConfigJson) {
        return new ConfigReader(PreprocessorConfig.read(preprocessorConfigJson)).read();
    }

    /** The processed image, [3, H, W] channel-first float32 values. */
    public float[] process(RgbImage image) {
        return run(image).values();
    }

    /** LLaVA's pad-to-square variant of {@link #process}. */
    public float[] processPadded(RgbImage image) {
        return run(padToSquare(image)).values();
    }

    /** {@link #process} as the [1, 3, H, W] float32 tensor {@value #PIXEL_VALUES} the vision graph takes. */
    @Override
    public NamedTensor pixelValues(RgbImage image) {
        return run(image).tensor();
    }

    /** {@link #processPadded} as the [1, 3, H, W] float32 tensor {@value #PIXEL_VALUES}. */
    public NamedTensor pixelValuesPadded(RgbImage image) {
        return run(padToSquare(image)).tensor();
    }

    /**
     * LLaVA's {@code expand2square}: a square image is returned as it is; otherwise it is pasted at
     * {@code ((side - w) // 2, (side - h) // 2)} on a {@code side = max(w, h)} square filled with
     * {@code int(mean * 255)} per channel.
     */
    public RgbImage padToSquare(RgbImage image) {
        int w = image.width();
        int h = image.height();
        if (w == h) {
            return image;
        }
        int side = Math.max(w, h);
        if ((long) side * side > MAX_RESIZE_PIXELS) {
            throw tooExtreme(w, h, side + "x" + side + " (padded to a square)");
        }
        int[] background = new int[3];
        for (int c = 0; c < 3; c++) {
            background[c] = (int) (normalization.mean(c) * 255);
        }
        return image.pastedOnto(side, side, background, (side - w) / 2, (side - h) / 2);
    }

    private Result run(RgbImage image) {
        RgbImage x = image;
        if (doResize) {
            int[] hw = resizeTarget(x.width(), x.height());
            checkResize(x.width(), x.height(), hw[1], hw[0]);
            x = PilResize.bicubic(x, hw[1], hw[0]);
        }
        if (doCenterCrop) {
            // HF floors a negative difference too; pasting at minus the offset covers its zero padding.
            int top = Math.floorDiv(x.height() - cropHeight, 2);
            int left = Math.floorDiv(x.width() - cropWidth, 2);
            x = x.pastedOnto(cropWidth, cropHeight, new int[3], -left, -top);
        }
        int plane = x.width() * x.height();
        float[] out = new float[3 * plane];
        byte[] rgb = x.rgb();
        for (int p = 0; p < plane; p++) {
            for (int c = 0; c < 3; c++) {
                out[c * plane + p] = normalization.apply(rgb[p * 3 + c] & 0xFF, c);
            }
        }
        return new Result(x.height(), x.width(), out);
    }

    /** HF's get_resize_output_image_size: (height, width). */
    private int[] resizeTarget(int width, int height) {
        if (shortestEdge == 0) {
            return new int[] {resizeHeight, resizeWidth};
        }
        int shortSide = Math.min(width, height);
        int longSide = Math.max(width, height);
        // Python's int(size * long / short): an exact product, one correctly rounded division, truncation.
        double newLong = (double) ((long) shortestEdge * longSide) / shortSide;
        if (newLong * shortestEdge > MAX_RESIZE_PIXELS) {
            throw tooExtreme(width, height, String.format(Locale.ROOT, "%.0fx%d", newLong, shortestEdge));
        }
        return width <= height ? new int[] {(int) newLong, shortestEdge} : new int[] {shortestEdge, (int) newLong};
    }

    /**
     * Refuses a resize whose result or whose per-axis weight tables (output pixels times kernel taps, which grow
     * with the shrink factor) would exceed {@link #MAX_RESIZE_PIXELS}.
     */
    private void checkResize(int width, int height, int newWidth, int newHeight) {
        long pixels = (long) newWidth * newHeight;
        if (pixels > MAX_RESIZE_PIXELS || taps(width, newWidth) > MAX_RESIZE_PIXELS
                || taps(height, newHeight) > MAX_RESIZE_PIXELS) {
            throw tooExtreme(width, height, newWidth + "x" + newHeight);
        }
    }

    private static long taps(int in, int out) {
        double scale = Math.max((double) in / out, 1.0);
        return (long) out * ((long) Math.ceil(2 * scale) * 2 + 1);
    }

    private VlmscopeException tooExtreme(int width, int height, String target) {
        return new VlmscopeException(String.format(Locale.ROOT, "%s asks to resize a %dx%d image to %s, beyond "
                + "the limit of %,d pixels: the image's aspect ratio (or the configured size) is too extreme",
                config, width, height, target, MAX_RESIZE_PIXELS));
    }

    private record Result(int height, int width, float[] values) {
        NamedTensor tensor() {
            return NamedTensor.ofFloats(PIXEL_VALUES, new long[] {1, 3, height, width}, values);
        }
    }

    /** Parses CLIPImageProcessor's resize and crop fields with HF's defaults, naming the file and field in every error. */
    private static final class ConfigReader {
        private final PreprocessorConfig config;
        private final Path file;

        ConfigReader(PreprocessorConfig config) {
            this.config = config;
            this.file = config.file;
        }

        ClipImageProcessor read() {
            JsonNode type = config.get("image_processor_type");
            if (type == null) {
                type = config.get("feature_extractor_type");
            }
            if (type != null && !type.asText().equals("CLIPImageProcessor")
                    && !type.asText().equals("CLIPFeatureExtractor")) {
                throw new VlmscopeException(file + ": image processor " + type.asText() + " is not supported: "
                        + "expected CLIPImageProcessor (the LLaVA 1.5 preprocessing this class reproduces)");
            }
            config.requireBicubic();
            int shortestEdge = 224;
            int resizeHeight = 0;
            int resizeWidth = 0;
            JsonNode size = config.get("size");
            if (size != null && size.isInt()) {
                shortestEdge = positive("size", size);
            } else if (size != null && size.has("shortest_edge")) {
                shortestEdge = positive("size.shortest_edge", size.get("shortest_edge"));
            } else if (size != null && size.has("height") && size.has("width")) {
                shortestEdge = 0;
                resizeHeight = positive("size.height", size.get("height"));
                resizeWidth = positive("size.width", size.get("width"));
            } else if (size != null) {
                throw new VlmscopeException(file + ": size " + size + " is not understood: expected "
                        + "{\"shortest_edge\": N}, {\"height\": H, \"width\": W} or an integer");
            }
            int cropHeight = 224;
            int cropWidth = 224;
            JsonNode crop = config.get("crop_size");
            if (crop != null && crop.isInt()) {
                cropHeight = cropWidth = positive("crop_size", crop);
            } else if (crop != null && crop.has("height") && crop.has("width")) {
                cropHeight = positive("crop_size.height", crop.get("height"));
                cropWidth = positive("crop_size.width", crop.get("width"));
            } else if (crop != null) {
                throw new VlmscopeException(file + ": crop_size " + crop + " is not understood: expected "
                        + "{\"height\": H, \"width\": W} or an integer");
            }
            PixelNormalization normalization = config.normalization();
            return new ClipImageProcessor(file, config.bool("do_resize"), shortestEdge, resizeHeight, resizeWidth,
                    config.bool("do_center_crop"), cropHeight, cropWidth, normalization);
        }

        /** A resize or crop side: positive, and at most {@link #MAX_SIDE} so the images it makes stay bounded. */
        private int positive(String field, JsonNode node) {
            return config.positive(field, node, MAX_SIDE);
        }
    }
}
