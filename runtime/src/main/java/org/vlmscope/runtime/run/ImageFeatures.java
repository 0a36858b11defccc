package org.vlmscope.runtime.run;

import java.nio.ByteBuffer;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.vlmscope.core.SafetensorsWriter.NamedTensor;
import org.vlmscope.core.VlmscopeException;
import org.vlmscope.core.vocab.GraphNames;
import org.vlmscope.runtime.session.ModelSession;

/**
 * One image taken through the vision graph once: its visual tokens (image_features [1, tokens, d_model]) and the
 * vision graph's exposed hooks. Every prompt about the image, and every row of a batch of conditions, embeds these
 * same features ({@link PreparedPrompt#of(ModelSession, ImageFeatures, long[][])},
 * {@link Greedy#run(ModelSession, ImageFeatures, long[][], int, java.util.Set, List)}), so the vision tower runs
 * once per image however many prompts and conditions follow. Conditions that change the vision graph (a patch of
 * a vision hook) cannot use them.
 */
public final class ImageFeatures {
    private final NamedTensor features;
    private final Map<String, NamedTensor> hooks;

    private ImageFeatures(NamedTensor features, Map<String, NamedTensor> hooks) {
        this.features = features;
        this.hooks = Map.copyOf(hooks);
    }

    /** Runs the vision graph on {@code pixelValues} [1, 3, H, W]. */
    public static ImageFeatures of(ModelSession session, NamedTensor pixelValues) {
        if (pixelValues.shape().length == 0 || pixelValues.shape()[0] != 1) {
            throw new VlmscopeException("image features are computed for one image: pixel_values must have batch 1");
        }
        Map<String, NamedTensor> hooks = new LinkedHashMap<>();
        NamedTensor features = Forward.vision(session, new InterventionPlan(session, List.of(), null), pixelValues,
                1, hooks);
        return new ImageFeatures(features, hooks);
    }

    /** The vision graph's exposed hooks, as {@link Forward#run} reports them. */
    Map<String, NamedTensor> hooks() {
        return hooks;
    }

    /** image_features for {@code rows} prompts about this image: the one image's tokens repeated [rows, tokens, d]. */
    NamedTensor forRows(int rows) {
        if (rows == 1) {
            return features;
        }
        ByteBuffer one = features.data().duplicate();
        ByteBuffer all = ByteBuffer.allocate(one.remaining() * rows).order(one.order());
        for (int r = 0; r < rows; r++) {
            all.put(one.duplicate());
        }
        all.flip();
        long[] shape = features.shape().clone();
        shape[0] = rows;
        return new NamedTensor(GraphNames.IMAGE_FEATURES, features.dtype(), shape, all);
    }
}
