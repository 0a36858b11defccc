package org.vlmscope.models;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.vlmscope.core.DType;
import org.vlmscope.core.SafetensorsWriter;
import org.vlmscope.core.SafetensorsWriter.TensorSpec;
import org.vlmscope.core.VlmscopeException;

/**
 * The shipped demo model: a tiny LLaVA-1.5-style checkpoint (CLIP vision tower, projector, Llama) in real Hugging
 * Face format, with the golden llava-tiny's dimensions and random weights. It is generated rather than stored, so
 * the weights come from a seeded generator and pure arithmetic: the same bytes on every run and every JVM.
 */
public final class DemoCheckpoint {
    /** Image placeholder id; the runtime expands one placeholder into {@link #VISUAL_TOKENS} visual tokens. */
    public static final int IMAGE_TOKEN = 1000;
    public static final int PAD_TOKEN = 1001;
    public static final int IMAGE_SIZE = 336;
    public static final int VISUAL_TOKENS = (IMAGE_SIZE / 14) * (IMAGE_SIZE / 14);

    static final LlavaShape SHAPE = new LlavaShape(
            new LlavaShape.Vision(64, 128, 3, 4, IMAGE_SIZE, 14),
            new LlavaShape.Text(64, 128, 4, 4, 2, 1024, 2048, 1e-5),
            IMAGE_TOKEN, PAD_TOKEN);

    private static final long SEED = 0x766c_6d73_636f_7065L;
    /** Hugging Face's initializer_range. */
    private static final double WEIGHT_STD = 0.02;
    /** Norm weights are 1 plus this much noise, biases this much noise: HF would init them to exactly 1 and 0. */
    private static final double NORM_NOISE_STD = 0.02;
    private static final double BIAS_STD = 0.01;

    /** CLIP's normalisation constants, as float32 like the image processor's arrays. */
    private static final float[] CLIP_MEAN = {0.48145466f, 0.4578275f, 0.40821073f};
    private static final float[] CLIP_STD = {0.26862954f, 0.26130258f, 0.27577711f};

    private DemoCheckpoint() {
    }

    /** Writes config.json, model.safetensors, preprocessor_config.json and generation_config.json into dir. */
    public static void write(Path dir) {
        try {
            Files.createDirectories(dir);
        } catch (IOException e) {
            throw new VlmscopeException("cannot create " + dir + ": " + e.getMessage(), e);
        }
        HfJson.write(dir.resolve("config.json"), SHAPE.config("float32"));
        HfJson.write(dir.resolve("generation_config.json"), SHAPE.generationConfig());
        HfJson.write(dir.resolve("preprocessor_config.json"), SHAPE.preprocessorConfig());
        writeWeights(dir.resolve("model.safetensors"));
    }

    /**
     * A LLaVA-1.5 prompt ({@code USER: <image>\n... ASSISTANT:} in shape): BOS, a few text ids, one image
     * placeholder, a few more text ids, all below the vocabulary size 1024 and clear of the special ids.
     */
    public static long[] demoInputIds() {
        return new long[] {LlavaShape.BOS, 148, 901, 29, IMAGE_TOKEN, 13, 518, 338, 297, 278, 967, 973, 319, 799, 47,
                566, 901};
    }

    /**
     * A [1, 3, 336, 336] image tensor as CLIPImageProcessor hands it to the model: a smooth colour gradient with a
     * disc and a rectangle on it, as 8-bit RGB, rescaled by 1/255 and normalised with CLIP's mean and std.
     */
    public static float[] demoPixelValues() {
        int n = IMAGE_SIZE;
        float[] pixels = new float[3 * n * n];
        for (int y = 0; y < n; y++) {
            for (int x = 0; x < n; x++) {
                int[] rgb = demoPixel(x, y, n);
                for (int c = 0; c < 3; c++) {
                    // As the processor does: rescale in double, store float32, normalise in float32.
                    float scaled = (float) (rgb[c] * (1.0 / 255));
                    pixels[(c * n + y) * n + x] = (scaled - CLIP_MEAN[c]) / CLIP_STD[c];
                }
            }
        }
        return pixels;
    }

    /** The 8-bit RGB colour of pixel (x, y), in integer arithmetic only. */
    private static int[] demoPixel(int x, int y, int n) {
        int dx = x - n * 2 / 3;
        int dy = y - n / 3;
        int radius = n / 6;
        if (dx * dx + dy * dy <= radius * radius) {
            return new int[] {230, 200, 40};
        }
        if (x >= n / 8 && x < n * 3 / 8 && y >= n * 5 / 8 && y < n * 7 / 8) {
            return new int[] {30, 60, 200};
        }
        int max = n - 1;
        return new int[] {255 * x / max, 255 * y / max, 255 * (2 * max - x - y) / (2 * max)};
    }

    /**
     * One generator, consumed tensor by tensor in file order. The file holds the tensors sorted by name, as the
     * safetensors library writes a single-dtype state dict.
     */
    private static void writeWeights(Path file) {
        List<TensorSpec> specs = SHAPE.tensors(DType.F32).stream()
                .sorted(Comparator.comparing(TensorSpec::name)).toList();
        SplittableRandom random = new SplittableRandom(SEED);
        try (SafetensorsWriter writer = SafetensorsWriter.create(file, Map.of("format", "pt"), specs)) {
            for (TensorSpec spec : specs) {
                writer.write(values(spec, random));
            }
        }
    }

    /** Rank-1 {@code .weight} tensors are exactly the norm weights (class_embedding is not a {@code .weight}). */
    private static ByteBuffer values(TensorSpec spec, SplittableRandom random) {
        long[] shape = spec.shape();
        boolean norm = shape.length == 1 && spec.name().endsWith(".weight");
        boolean bias = spec.name().endsWith(".bias");
        double mean = norm ? 1.0 : 0.0;
        double std = norm ? NORM_NOISE_STD : bias ? BIAS_STD : WEIGHT_STD;
        int count = Math.toIntExact(spec.byteLength() / Float.BYTES);
        ByteBuffer bytes = ByteBuffer.allocate(count * Float.BYTES).order(ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < count; i += 2) {
            // Box-Muller: two standard normals per pair of uniforms; StrictMath makes them bit-identical anywhere.
            double u1 = 1.0 - random.nextDouble();
            double u2 = random.nextDouble();
            double r = StrictMath.sqrt(-2.0 * StrictMath.log(u1));
            double angle = 2.0 * StrictMath.PI * u2;
            bytes.putFloat((float) (mean + std * r * StrictMath.cos(angle)));
            if (i + 1 < count) {
                bytes.putFloat((float) (mean + std * r * StrictMath.sin(angle)));
            }
        }
        return bytes.flip();
    }
}
