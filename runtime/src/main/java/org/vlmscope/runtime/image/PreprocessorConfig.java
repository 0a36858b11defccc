package org.vlmscope.runtime.image;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Arrays;
import org.vlmscope.core.JsonErrors;
import org.vlmscope.core.VlmscopeException;

/**
 * A checkpoint's {@code preprocessor_config.json} as the image processors read it: the fields with Hugging Face's
 * defaults, every error naming the file and the field. What the families share lives here (the flags, the
 * rescale and normalisation settings, the resampling filter); each processor reads its own resize fields.
 */
final class PreprocessorConfig {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final double[] OPENAI_CLIP_MEAN = {0.48145466, 0.4578275, 0.40821073};
    private static final double[] OPENAI_CLIP_STD = {0.26862954, 0.26130258, 0.27577711};
    private static final int PIL_BICUBIC = 3;

    /** The config file, named in every error. */
    final Path file;
    private final JsonNode root;

    private PreprocessorConfig(Path file, JsonNode root) {
        this.file = file;
        this.root = root;
    }

    /**
     * Reads the file.
     *
     * @throws VlmscopeException naming the file when it is missing, unreadable, not JSON or not an object
     */
    static PreprocessorConfig read(Path file) {
        byte[] bytes;
        try {
            bytes = Files.readAllBytes(file);
        } catch (NoSuchFileException e) {
            throw new VlmscopeException(file + " does not exist: expected the checkpoint's preprocessor_config.json");
        } catch (IOException e) {
            throw new VlmscopeException("cannot read " + file + ": " + e.getMessage(), e);
        }
        JsonNode root = JsonErrors.parse(JSON, file, bytes);
        if (root == null || !root.isObject()) {
            throw new VlmscopeException(file + " must hold a JSON object (a Hugging Face preprocessor config)");
        }
        return new PreprocessorConfig(file, root);
    }

    /** The raw field, or null when absent. */
    JsonNode get(String field) {
        return root.get(field);
    }

    /** Refuses any resampling filter but PIL's bicubic (3, HF's default), the only one {@link PilResize} has. */
    void requireBicubic() {
        int resample = integer("resample", PIL_BICUBIC);
        if (resample != PIL_BICUBIC) {
            throw new VlmscopeException(file + ": resample " + resample + " is not supported: expected 3 "
                    + "(PIL bicubic), the only filter this preprocessing reproduces");
        }
    }

    /**
     * {@code do_rescale}, {@code rescale_factor} (default 1/255), {@code do_normalize}, {@code image_mean} and
     * {@code image_std} (default OpenAI CLIP's), checked.
     */
    PixelNormalization normalization() {
        boolean doRescale = bool("do_rescale");
        double rescaleFactor = number("rescale_factor", 1 / 255.0);
        if (doRescale && !(rescaleFactor > 0 && Double.isFinite(rescaleFactor))) {
            throw new VlmscopeException(file + ": rescale_factor is " + root.get("rescale_factor")
                    + ": expected a positive number (1/255 maps pixels to 0..1)");
        }
        boolean doNormalize = bool("do_normalize");
        double[] mean = triple("image_mean", OPENAI_CLIP_MEAN);
        double[] std = triple("image_std", OPENAI_CLIP_STD);
        for (int c = 0; c < 3 && doNormalize; c++) {
            if (!Double.isFinite(mean[c]) || std[c] == 0 || !Double.isFinite(std[c])) {
                throw new VlmscopeException(file + ": image_mean " + Arrays.toString(mean) + " and image_std "
                        + Arrays.toString(std) + ": expected finite numbers and a non-zero std for each channel "
                        + "(normalisation divides by it)");
            }
        }
        return new PixelNormalization(doRescale, rescaleFactor, doNormalize, mean, std);
    }

    /** A flag; every flag of these image processors defaults to true. */
    boolean bool(String field) {
        JsonNode node = root.get(field);
        if (node == null || node.isNull()) {
            return true;
        }
        if (!node.isBoolean()) {
            throw new VlmscopeException(file + ": " + field + " is " + node + ": expected true or false");
        }
        return node.booleanValue();
    }

    int integer(String field, int fallback) {
        JsonNode node = root.get(field);
        if (node == null || node.isNull()) {
            return fallback;
        }
        if (!node.isInt()) {
            throw new VlmscopeException(file + ": " + field + " is " + node + ": expected an integer");
        }
        return node.intValue();
    }

    /** A size: a positive integer up to {@code max}, so the images and tables it makes stay bounded. */
    int positive(String field, JsonNode node, long max) {
        if (!node.isIntegralNumber() || node.longValue() <= 0 || node.longValue() > max) {
            throw new VlmscopeException(file + ": " + field + " is " + node + ": expected a positive integer up "
                    + "to " + max);
        }
        return node.intValue();
    }

    double number(String field, double fallback) {
        JsonNode node = root.get(field);
        if (node == null || node.isNull()) {
            return fallback;
        }
        if (!node.isNumber()) {
            throw new VlmscopeException(file + ": " + field + " is " + node + ": expected a number");
        }
        return node.doubleValue();
    }

    /** Per-channel values; HF also accepts one number for all three channels. */
    private double[] triple(String field, double[] fallback) {
        JsonNode node = root.get(field);
        if (node == null || node.isNull()) {
            return fallback;
        }
        if (node.isNumber()) {
            return new double[] {node.doubleValue(), node.doubleValue(), node.doubleValue()};
        }
        if (!node.isArray() || node.size() != 3 || !node.get(0).isNumber() || !node.get(1).isNumber()
                || !node.get(2).isNumber()) {
            throw new VlmscopeException(file + ": " + field + " is " + node + ": expected 3 numbers (R, G, B)");
        }
        return new double[] {node.get(0).doubleValue(), node.get(1).doubleValue(), node.get(2).doubleValue()};
    }
}
