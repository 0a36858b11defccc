package org.vlmscope.experiments.mean;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtSession;
import java.nio.ByteBuffer;
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
import org.vlmscope.runtime.family.RuntimeFamilies;
import org.vlmscope.runtime.family.RuntimeFamily;
import org.vlmscope.runtime.image.ImageDecoder;
import org.vlmscope.runtime.image.ImageGrid;
import org.vlmscope.runtime.image.ImageProcessor;
import org.vlmscope.runtime.image.VisionInput;
import org.vlmscope.runtime.session.ModelSession;
import org.vlmscope.runtime.session.OrtTensors;

/**
 * The mean projector output (EXPERIMENTS.md, Ablation: the mean vector): the vision graph's visual tokens averaged
 * over every token position of every image, one vector of {@code d_model} values. Images go through the model's
 * own preprocessing and vision graph in batches; sums are kept in double precision, so the order of a million
 * additions does not show in the float32 result. An image that cannot be decoded is skipped and reported. Where
 * each image has its own grid (Qwen2-VL), it is the mean over all visual tokens of all images: an image with
 * more tokens weighs more.
 */
public final class MeanVisualToken {
    /** The tensor name in the written file. */
    public static final String TENSOR = "mean_vector";
    private static final String TASK = "mean visual token";

    private MeanVisualToken() {
    }

    /** The mean, how many images and tokens it averages, and the files skipped (path to reason). */
    public record Result(float[] mean, long images, long tokens, Map<Path, String> skipped) {
    }

    public static Result compute(ModelSession session, List<Path> images, int batchSize, ProgressListener progress) {
        if (batchSize < 1) {
            throw new IllegalArgumentException("batch size must be at least 1, got " + batchSize);
        }
        RuntimeFamily family = RuntimeFamilies.of(session.manifest());
        ImageProcessor processor = family.imageProcessor(session.dir());
        double[] sum = new double[session.manifest().dims().dModel()];
        long used = 0;
        long tokens = 0;
        Map<Path, String> skipped = new LinkedHashMap<>();
        List<VisionInput> batch = new ArrayList<>();
        for (int i = 0; i < images.size(); i++) {
            try {
                batch.add(processor.vision(ImageDecoder.read(images.get(i))));
            } catch (VlmscopeException e) {
                skipped.put(images.get(i), e.getMessage());
            }
            if (batch.size() == batchSize || i == images.size() - 1 && !batch.isEmpty()) {
                tokens += accumulate(session, family, batch, sum);
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

    /**
     * Runs the vision graph on one batch (the images stacked along the first axis of pixel_values, with their grids
     * where the family has one per image) and adds every token to {@code sum}; returns the number of tokens.
     */
    private static long accumulate(ModelSession session, RuntimeFamily family, List<VisionInput> batch,
            double[] sum) {
        ModelManifest manifest = session.manifest();
        VisionInput vision = stacked(batch);
        NamedTensor features;
        Map<String, OnnxTensor> feeds = new LinkedHashMap<>();
        try {
            for (NamedTensor t : family.visionFeeds(manifest, vision)) {
                feeds.put(t.name(), OrtTensors.toOrt(session.env(), t));
            }
            try (OrtSession.Result r = session.run(GraphNames.VISION, feeds)) {
                features = OrtTensors.fromOrt(GraphNames.IMAGE_FEATURES, (OnnxTensor) r.get(GraphNames.IMAGE_FEATURES)
                        .orElseThrow(() -> new VlmscopeException("the vision graph has no output '"
                                + GraphNames.IMAGE_FEATURES + "'")));
            }
        } finally {
            feeds.values().forEach(OnnxTensor::close);
        }
        long[] shape = features.shape();
        if (shape[shape.length - 1] != sum.length) {
            throw new VlmscopeException("the vision graph's " + GraphNames.IMAGE_FEATURES + " has shape "
                    + Arrays.toString(shape) + ": expected " + sum.length + " values per token (d_model)");
        }
        float[] values = features.toFloatArray();
        for (int i = 0; i < values.length; i++) {
            sum[i % sum.length] += values[i];
        }
        return values.length / sum.length;
    }

    /** The images' pixel_values concatenated along their first axis (images or pixel rows), grids in order. */
    private static VisionInput stacked(List<VisionInput> batch) {
        if (batch.size() == 1) {
            return batch.get(0);
        }
        NamedTensor first = batch.get(0).pixelValues();
        long[] shape = first.shape().clone();
        shape[0] = 0;
        int bytes = 0;
        List<ImageGrid> grids = new ArrayList<>();
        for (VisionInput v : batch) {
            long[] s = v.pixelValues().shape();
            if (!Arrays.equals(Arrays.copyOfRange(s, 1, s.length), Arrays.copyOfRange(shape, 1, shape.length))
                    || v.pixelValues().dtype() != first.dtype()) {
                throw new VlmscopeException("the preprocessing made pixel_values " + Arrays.toString(s) + " after "
                        + Arrays.toString(first.shape()) + ": expected images of one shape past the first axis");
            }
            shape[0] += s[0];
            bytes += v.pixelValues().data().remaining();
            grids.addAll(v.grids());
        }
        ByteBuffer all = ByteBuffer.allocate(bytes);
        for (VisionInput v : batch) {
            all.put(v.pixelValues().data().duplicate());
        }
        all.flip();
        return new VisionInput(new NamedTensor(first.name(), first.dtype(), shape, all), grids);
    }
}
