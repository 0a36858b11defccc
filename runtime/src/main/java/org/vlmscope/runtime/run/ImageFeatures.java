package org.vlmscope.runtime.run;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.vlmscope.core.SafetensorsWriter.NamedTensor;
import org.vlmscope.core.VlmscopeException;
import org.vlmscope.runtime.image.ImageGrid;
import org.vlmscope.runtime.image.VisionInput;
import org.vlmscope.runtime.session.ModelSession;

/**
 * One image taken through the vision graph once: its visual tokens (image_features as the vision graph returns
 * them) and the graph's exposed hooks. Every prompt about the image, and every row of a batch of conditions,
 * embeds these same features ({@link PreparedPrompt#of(ModelSession, ImageFeatures, long[][])},
 * {@link Greedy#run(ModelSession, ImageFeatures, long[][], int, java.util.Set, List)}), so the vision tower runs
 * once per image however many prompts and conditions follow. Conditions that change the vision graph (a patch of
 * a vision hook) cannot use them.
 */
public final class ImageFeatures {
    /** The one image's pixels (and grid, for a family whose grid depends on the image). */
    private final VisionInput vision;
    /** image_features of the one image as the vision graph returned them. */
    private final NamedTensor features;
    private final Map<String, NamedTensor> hooks;

    private ImageFeatures(VisionInput vision, NamedTensor features, Map<String, NamedTensor> hooks) {
        this.vision = vision;
        this.features = features;
        this.hooks = Map.copyOf(hooks);
    }

    /** Runs the vision graph on one image's {@code pixelValues} [1, 3, H, W] (a fixed-grid family). */
    public static ImageFeatures of(ModelSession session, NamedTensor pixelValues) {
        return of(session, VisionInput.of(pixelValues));
    }

    /** Runs the vision graph on one image of any family. */
    public static ImageFeatures of(ModelSession session, VisionInput vision) {
        int images = vision.variableGrid() ? vision.grids().size() : (int) vision.pixelValues().shape()[0];
        if (images != 1) {
            throw new VlmscopeException("image features are computed for one image; pixel_values hold " + images);
        }
        Map<String, NamedTensor> hooks = new LinkedHashMap<>();
        NamedTensor features = Forward.vision(session, new InterventionPlan(session, List.of(), null), vision, hooks);
        return new ImageFeatures(vision, features, hooks);
    }

    /** The vision graph's exposed hooks, as {@link Forward#run} reports them. */
    Map<String, NamedTensor> hooks() {
        return hooks;
    }

    /** The image as if its pixels came once for each of {@code rows} prompts: what their prompts are checked against. */
    VisionInput visionForRows(int rows) {
        List<ImageGrid> grids = new ArrayList<>();
        for (int r = 0; r < rows; r++) {
            grids.addAll(vision.grids());
        }
        return new VisionInput(repeated(vision.pixelValues(), rows), grids);
    }

    /**
     * What the vision graph would return for {@link #visionForRows}: its output repeated along the first axis (a
     * fixed-grid family's [1, tokens, d] becomes [rows, tokens, d]; a variable grid's [tokens, d], [rows * tokens, d]).
     */
    NamedTensor forRows(int rows) {
        return repeated(features, rows);
    }

    private static NamedTensor repeated(NamedTensor t, int times) {
        if (times == 1) {
            return t;
        }
        ByteBuffer one = t.data().duplicate();
        ByteBuffer all = ByteBuffer.allocate(one.remaining() * times).order(one.order());
        for (int r = 0; r < times; r++) {
            all.put(one.duplicate());
        }
        all.flip();
        long[] shape = t.shape().clone();
        shape[0] *= times;
        return new NamedTensor(t.name(), t.dtype(), shape, all);
    }
}
