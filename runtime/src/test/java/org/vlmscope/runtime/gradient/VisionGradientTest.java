package org.vlmscope.runtime.gradient;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.vlmscope.runtime.gradient.ExportedGraph.gaussian;

import ai.onnx.proto.OnnxMl.TensorProto.DataType;
import ai.onnxruntime.OrtException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.vlmscope.graph.GraphException;
import org.vlmscope.graph.OnnxModel;
import org.vlmscope.graph.passes.Gradient;
import org.vlmscope.graph.passes.Patch;
import org.vlmscope.runtime.gradient.GradCheck.Feed;

/**
 * The gradient pass on the exported vision tower and projector (golden llava-tiny: CLIP layers with
 * LayerNormalization, quick-GELU (Sigmoid), unmasked attention, the CLS-dropping Slice, and the projector's exact
 * GELU (Erf)), differentiating image_features with respect to the tower's embedding hook.
 */
class VisionGradientTest {
    private static final long[] EMBED = {1, 577, 64};
    private static final long[] FEATURES = {1, 576, 64};

    @TempDir
    static Path tmp;
    static ExportedGraph vision;

    @BeforeAll
    static void export() {
        vision = new ExportedGraph(ExportedGraph.export(tmp.resolve("fp32"), "fp32"), "vision.onnx", "image_features");
    }

    /**
     * vision.hook_embed is patched with mask 1, so it equals the fed patch value, which finite differences move.
     *
     * <p>Step and tolerance: f sums 36864 float32 features, and its rounding noise (about 5e-4, measured from the
     * scatter of the differences at h = 1e-3) dominates up to h = 3e-2, where errors still reach 3e-3. The tower is
     * smooth along a unit direction in 36928 dimensions (each element moves by about h / 190), so truncation stays
     * below the noise even at h = 0.1, where the measured errors are 3e-5 to 1.1e-3; 1e-2 leaves a margin of 9.
     */
    @Test
    void gradientOfTheImageFeaturesWithRespectToTheEmbeddingHook() throws OrtException {
        String hook = "vision.hook_embed";
        Map<String, Feed> feeds = new LinkedHashMap<>();
        feeds.put("pixel_values", gaussian(new Random(1), new long[] {1, 3, 336, 336}));
        feeds.put(hook + ".patch_mask", new Feed(DataType.FLOAT, new long[] {1}, new double[] {1}));
        feeds.put(hook + ".patch_value", gaussian(new Random(2), EMBED));
        vision.checkDirections(List.of(new Patch(List.of(hook))), feeds, hook + ".patch_value", hook, FEATURES, 0.1,
                1e-2, new Random(3));
    }

    /** The patch embedding is a Conv, which has no gradient rule: the error names it. */
    @Test
    void pixelGradientStopsAtThePatchConvolution() {
        OnnxModel model = OnnxModel.load(vision.dir().resolve("vision.onnx"));
        GraphException e = assertThrows(GraphException.class,
                () -> new Gradient("pixel_values", "image_features").apply(model));
        assertTrue(e.getMessage().contains("no gradient rule for op Conv"), e.getMessage());
    }
}
