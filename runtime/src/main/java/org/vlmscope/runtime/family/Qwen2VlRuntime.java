package org.vlmscope.runtime.family;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.vlmscope.core.DType;
import org.vlmscope.core.ModelManifest;
import org.vlmscope.core.SafetensorsWriter.NamedTensor;
import org.vlmscope.core.VlmscopeException;
import org.vlmscope.core.vocab.GraphNames;
import org.vlmscope.runtime.image.ImageGrid;
import org.vlmscope.runtime.image.ImageLayout;
import org.vlmscope.runtime.image.ImageProcessor;
import org.vlmscope.runtime.image.Qwen2VlImageProcessor;
import org.vlmscope.runtime.image.TokenGrid;
import org.vlmscope.runtime.image.VisionInput;
import org.vlmscope.runtime.run.ImageTokens;
import org.vlmscope.runtime.text.PromptTemplate;
import org.vlmscope.runtime.text.PromptTemplates.Fidelity;
import org.vlmscope.runtime.text.PromptTemplates.Variant;

/**
 * Qwen2-VL: Qwen2VLImageProcessor (each image its own grid), the Qwen2-VL chat template, M-RoPE positions. The
 * vision graph takes the pixel rows of all images of a run at once with each row's patch position and image
 * (the contract in {@code qwen-contract.md}); its features, [visual tokens, d_model] over all images, are split
 * back over the prompt rows here. An image's visual tokens are its patch grid merged by
 * {@code spatialMergeSize x spatialMergeSize}.
 */
final class Qwen2VlRuntime implements RuntimeFamily {
    static final String ID = "qwen2_vl";
    /** The template family's name, as prompt_template metadata reports it. */
    static final String TEMPLATE_FAMILY = "qwen2-vl";
    /** The answer start of the VQA variant, as for the LLaVA templates. */
    static final String VQA_ANSWER_START = "It is a";

    @Override
    public String id() {
        return ID;
    }

    @Override
    public ImageProcessor imageProcessor(Path modelDir) {
        return Qwen2VlImageProcessor.fromConfig(modelDir.resolve(ImageProcessor.CONFIG_FILE));
    }

    /**
     * The same template in both fidelities: the paper used Qwen2-VL's own chat template (with its default system
     * turn when the checkpoint's template has one, see {@link Qwen2VlChat}); one user turn with the images first.
     */
    @Override
    public PromptTemplate promptTemplate(Path modelDir, ModelManifest manifest, Variant variant, Fidelity fidelity,
                                         int images) {
        String turn = Qwen2VlChat.of(modelDir).turn(images);
        return new PromptTemplate(TEMPLATE_FAMILY, turn + (variant == Variant.VQA ? VQA_ANSWER_START : ""),
                Qwen2VlChat.IMAGE_PAD);
    }

    @Override
    public PositionIds positionIds(ModelManifest manifest) {
        return new MultimodalRopePositions(manifest.imageTokenId(), qwen(manifest).visionStartTokenId(),
                qwen(manifest).spatialMergeSize());
    }

    @Override
    public List<TokenGrid> tokenGrids(ModelManifest manifest, VisionInput vision) {
        if (vision == null) {
            return List.of();
        }
        int merge = qwen(manifest).spatialMergeSize();
        List<TokenGrid> out = new ArrayList<>();
        for (ImageGrid g : vision.grids()) {
            // Frames stack vertically in token order (a still image has one).
            out.add(new TokenGrid(g.frames() * g.mergedRows(merge), g.mergedCols(merge)));
        }
        return out;
    }

    /** The whole image (no crop) under the grid its smart_resize gives (see Qwen2VlImageProcessor#tokenGrid). */
    @Override
    public ImageLayout.Rule imageLayouts(ModelManifest manifest, Path modelDir) {
        Qwen2VlImageProcessor processor = Qwen2VlImageProcessor.fromConfig(modelDir.resolve(ImageProcessor.CONFIG_FILE));
        return (width, height) -> new ImageLayout(0, 0, width, height, processor.tokenGrid(width, height));
    }

    /**
     * Each run of image tokens is the next image's: one token is its placeholder, expanded to the image's visual
     * tokens; a run already that long stays.
     */
    @Override
    public long[][] expandImages(ModelManifest manifest, long[][] rows, VisionInput vision) {
        if (vision == null) {
            return rows;
        }
        long image = manifest.imageTokenId();
        List<TokenGrid> grids = tokenGrids(manifest, vision);
        int next = 0;
        long[][] out = new long[rows.length][];
        for (int b = 0; b < rows.length; b++) {
            List<Long> row = new ArrayList<>();
            long[] ids = rows[b];
            for (int i = 0; i < ids.length; ) {
                if (ids[i] != image) {
                    row.add(ids[i++]);
                    continue;
                }
                int run = 0;
                while (i + run < ids.length && ids[i + run] == image) {
                    run++;
                }
                if (next >= grids.size()) {
                    throw new VlmscopeException("input_ids hold more images (runs of image token " + image
                            + ") than the " + grids.size() + " images given");
                }
                int tokens = grids.get(next).tokens();
                if (run != 1 && run != tokens) {
                    throw new VlmscopeException("row " + b + " of input_ids holds " + run + " image tokens (id " + image
                            + ") at position " + i + " for image " + next + ", whose " + grids.get(next) + " grid "
                            + "makes " + tokens + " visual tokens: expected 1 placeholder or exactly " + tokens);
                }
                for (int k = 0; k < tokens; k++) {
                    row.add(image);
                }
                next++;
                i += run;
            }
            out[b] = row.stream().mapToLong(Long::longValue).toArray();
        }
        if (next != grids.size()) {
            throw new VlmscopeException(grids.size() + " images were given, but input_ids hold " + next
                    + " image placeholders (runs of image token " + image + ")");
        }
        return out;
    }

    @Override
    public void checkVision(ModelManifest manifest, VisionInput vision, long[][] ids) {
        if (vision == null) {
            return;
        }
        NamedTensor px = vision.pixelValues();
        ModelManifest.Qwen2Vl q = qwen(manifest);
        int patch = manifest.dims().patchSize();
        long width = 3L * q.temporalPatchSize() * patch * patch;
        long patches = 0;
        for (ImageGrid g : vision.grids()) {
            patches += g.patches();
        }
        long[] want = {patches, width};
        if (!vision.variableGrid() || px.dtype() != DType.F32 || !Arrays.equals(px.shape(), want)) {
            throw new VlmscopeException("pixel_values must be float32 " + Arrays.toString(want) + " (the patch rows "
                    + "of the " + vision.grids().size() + " images' grids " + vision.grids() + "), got " + px.dtype()
                    + " " + Arrays.toString(px.shape()));
        }
    }

    @Override
    public List<NamedTensor> visionFeeds(ModelManifest manifest, VisionInput vision) {
        NamedTensor px = vision.pixelValues();
        List<ImageGrid> grids = vision.grids();
        long[][] positions = Qwen2VlVisionInputs.positionIds(grids, qwen(manifest).spatialMergeSize());
        long[] flat = new long[positions.length * 2];
        for (int r = 0; r < positions.length; r++) {
            flat[2 * r] = positions[r][0];
            flat[2 * r + 1] = positions[r][1];
        }
        long[] segments = Qwen2VlVisionInputs.segmentIds(grids);
        return List.of(new NamedTensor(GraphNames.PIXEL_VALUES, px.dtype(), px.shape(), px.data()),
                NamedTensor.ofLongs(GraphNames.VISION_POSITION_IDS, new long[] {positions.length, 2}, flat),
                NamedTensor.ofLongs(GraphNames.VISION_SEGMENT_IDS, new long[] {segments.length}, segments));
    }

    /**
     * Splits [visual tokens, d] over the rows by their image-token counts, in order, and pads every row to the
     * largest count with zeros (a row's own image tokens take its first features, so padding is never read).
     */
    @Override
    public NamedTensor imageFeatures(ModelManifest manifest, NamedTensor visionFeatures, long[][] ids) {
        long[] shape = visionFeatures.shape();
        int d = (int) shape[shape.length - 1];
        int[] counts = new int[ids.length];
        int most = 0;
        long total = 0;
        for (int b = 0; b < ids.length; b++) {
            counts[b] = ImageTokens.count(ids[b], manifest.imageTokenId());
            most = Math.max(most, counts[b]);
            total += counts[b];
        }
        if (shape.length != 2 || shape[0] != total || visionFeatures.dtype() != DType.F32) {
            throw new VlmscopeException("the vision graph returned " + GraphNames.IMAGE_FEATURES + " "
                    + visionFeatures.dtype() + " " + Arrays.toString(shape) + "; expected float32 [" + total + ", "
                    + d + "], one row per image token of the prompts");
        }
        ByteBuffer in = visionFeatures.data().duplicate().order(ByteOrder.LITTLE_ENDIAN);
        ByteBuffer out = ByteBuffer.allocate(ids.length * most * d * Float.BYTES).order(ByteOrder.LITTLE_ENDIAN);
        int rowBytes = d * Float.BYTES;
        for (int b = 0; b < ids.length; b++) {
            ByteBuffer slice = in.slice().limit(counts[b] * rowBytes);
            out.position(b * most * rowBytes);
            out.put(slice);
            in.position(in.position() + counts[b] * rowBytes);
        }
        out.rewind();
        return new NamedTensor(GraphNames.IMAGE_FEATURES, DType.F32, new long[] {ids.length, most, d}, out);
    }

    private static ModelManifest.Qwen2Vl qwen(ModelManifest manifest) {
        if (manifest.qwen2vl() == null) {
            throw new VlmscopeException("vlmscope.json names family " + ID + " but has no qwen2vl object (vision "
                    + "start token, spatial merge size, temporal patch size, mrope sections): export the model again");
        }
        return manifest.qwen2vl();
    }
}
