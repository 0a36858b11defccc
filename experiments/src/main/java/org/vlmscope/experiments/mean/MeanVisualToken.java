package org.vlmscope.experiments.mean;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtSession;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.vlmscope.core.ModelManifest;
import org.vlmscope.core.SafetensorsWriter;
import org.vlmscope.core.SafetensorsWriter.NamedTensor;
import org.vlmscope.core.VlmscopeException;
import org.vlmscope.core.vocab.GraphNames;
import org.vlmscope.experiments.ProgressListener;
import org.vlmscope.runtime.session.ModelSession;
import org.vlmscope.runtime.session.OrtTensors;
import org.vlmscope.runtime.image.ClipImageProcessor;
import org.vlmscope.runtime.image.ImageDecoder;

/**
 * The mean projector output (EXPERIMENTS.md, Ablation: the mean vector): the vision graph's visual tokens averaged
 * over every token position of every image, one vector of {@code d_model} values. Images go through the model's
 * own preprocessing and vision graph in batches; sums are kept in double precision, so the order of a million
 * additions does not show in the float32 result. An image that cannot be decoded is skipped and reported.
 */
public final class MeanVisualToken {
    /** The tensor name in the written file. */
    public static final String TENSOR = "mean_vector";
    private static final String TASK = "mean visual token";
    private static final String PREPROCESSOR_CONFIG = "preprocessor_config.json";

    private MeanVisualToken() {
    }

    /** The mean, how many images and tokens it averages, and the files skipped (path to reason). */
    public record Result(float[] mean, long images, long tokens, Map<Path, String> skipped) {
    }

    public static Result compute(ModelSession session, List<Path> images, int batchSize, ProgressListener progress) {
        if (batchSize < 1) {
            throw new IllegalArgumentException("batch size must be at least 1, got " + batchSize);
        }
        ModelManifest.Dims dims = session.manifest().dims();
        ClipImageProcessor processor = ClipImageProcessor.fromConfig(session.dir().resolve(PREPROCESSOR_CONFIG));
        double[] sum = new double[dims.dModel()];
        long used = 0;
        long tokens = 0;
        Map<Path, String> skipped = new LinkedHashMap<>();
        List<float[]> batch = new ArrayList<>();
        for (int i = 0; i < images.size(); i++) {
            try {
                batch.add(processor.process(ImageDecoder.read(images.get(i))));
            } catch (VlmscopeException e) {
                skipped.put(images.get(i), e.getMessage());
            }
            if (batch.size() == batchSize || i == images.size() - 1 && !batch.isEmpty()) {
                tokens += accumulate(session, batch, dims, sum);
                used += batch.size();
                batch.clear();
            }
            progress.report(TASK, i + 1, images.size());
        }
        if (used == 0) {
            throw new VlmscopeException("no image could be decoded (" + skipped.size() + " tried): nothing to average");
        }
        float[] mean = new float[sum.length];
        for (int d = 0; d < sum.length; d++) {
            mean[d] = (float) (sum[d] / tokens);
        }
        return new Result(mean, used, tokens, skipped);
    }

    /** Writes {@code result} as a one-tensor safetensors file that {@code run --ablate-with} reads (atomically). */
    public static void write(Result result, Path file, Map<String, String> metadata) {
        Map<String, String> meta = new LinkedHashMap<>(metadata);
        meta.put("images", Long.toString(result.images()));
        meta.put("tokens", Long.toString(result.tokens()));
        SafetensorsWriter.writeAll(file, meta, List.of(NamedTensor.ofFloats(TENSOR,
                new long[] {result.mean().length}, result.mean())));
    }

    /** Runs the vision graph on one batch and adds every token to {@code sum}; returns the number of tokens. */
    private static long accumulate(ModelSession session, List<float[]> batch, ModelManifest.Dims dims, double[] sum) {
        int size = dims.imageSize();
        int plane = 3 * size * size;
        float[] pixels = new float[batch.size() * plane];
        for (int b = 0; b < batch.size(); b++) {
            if (batch.get(b).length != plane) {
                throw new VlmscopeException("the preprocessing made a " + batch.get(b).length + "-value image: the "
                        + "model expects 3 x " + size + " x " + size);
            }
            System.arraycopy(batch.get(b), 0, pixels, b * plane, plane);
        }
        NamedTensor features;
        try (OnnxTensor input = OrtTensors.toOrt(session.env(), NamedTensor.ofFloats(GraphNames.PIXEL_VALUES,
                new long[] {batch.size(), 3, size, size}, pixels));
             OrtSession.Result r = session.run(GraphNames.VISION, Map.of(GraphNames.PIXEL_VALUES, input))) {
            features = OrtTensors.fromOrt(GraphNames.IMAGE_FEATURES, (OnnxTensor) r.get(GraphNames.IMAGE_FEATURES)
                    .orElseThrow(() -> new VlmscopeException("the vision graph has no output '"
                            + GraphNames.IMAGE_FEATURES + "'")));
        }
        long[] shape = features.shape();
        if (shape.length != 3 || shape[0] != batch.size() || shape[2] != sum.length) {
            throw new VlmscopeException("the vision graph's " + GraphNames.IMAGE_FEATURES + " has shape "
                    + Arrays.toString(shape) + ": expected [" + batch.size() + ", tokens, " + sum.length + "]");
        }
        float[] values = features.toFloatArray();
        for (int i = 0; i < values.length; i++) {
            sum[i % sum.length] += values[i];
        }
        return shape[0] * shape[1];
    }
}
