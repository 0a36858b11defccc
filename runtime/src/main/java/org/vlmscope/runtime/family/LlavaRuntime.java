package org.vlmscope.runtime.family;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import org.vlmscope.core.DType;
import org.vlmscope.core.ModelManifest;
import org.vlmscope.core.SafetensorsWriter.NamedTensor;
import org.vlmscope.core.VlmscopeException;
import org.vlmscope.core.vocab.GraphNames;
import org.vlmscope.runtime.image.ClipImageProcessor;
import org.vlmscope.runtime.image.ImageLayout;
import org.vlmscope.runtime.image.ImageProcessor;
import org.vlmscope.runtime.image.TokenGrid;
import org.vlmscope.runtime.image.VisionInput;
import org.vlmscope.runtime.run.ImageTokens;
import org.vlmscope.runtime.text.PromptTemplate;
import org.vlmscope.runtime.text.PromptTemplates;
import org.vlmscope.runtime.text.PromptTemplates.Fidelity;
import org.vlmscope.runtime.text.PromptTemplates.Variant;

/**
 * LLaVA: CLIPImageProcessor, the LLaVA prompt templates, Llama's sequential positions; one [3, H, W] image per
 * prompt row, each on the manifest's fixed grid of visual tokens.
 */
final class LlavaRuntime implements RuntimeFamily {
    static final String ID = "llava";
    private static final PositionIds POSITIONS = new SequentialPositions();

    @Override
    public String id() {
        return ID;
    }

    @Override
    public ImageProcessor imageProcessor(Path modelDir) {
        return ClipImageProcessor.fromConfig(modelDir.resolve(ClipImageProcessor.CONFIG_FILE));
    }

    /** The manifest's template, which places one image; LLaVA's prompts hold no more than one. */
    @Override
    public PromptTemplate promptTemplate(Path modelDir, ModelManifest manifest, Variant variant, Fidelity fidelity,
                                         int images) {
        if (images > 1) {
            throw new VlmscopeException("a " + ID + " prompt holds one image (pixel_values [batch, 3, H, W], one per "
                    + "prompt row); got " + images + " images for one prompt");
        }
        return PromptTemplates.forModel(manifest, variant, fidelity);
    }

    @Override
    public PositionIds positionIds(ModelManifest manifest) {
        return POSITIONS;
    }

    @Override
    public List<TokenGrid> tokenGrids(ModelManifest manifest, VisionInput vision) {
        if (vision == null) {
            return List.of();
        }
        int side = manifest.dims().gridSize();
        return Collections.nCopies((int) vision.pixelValues().shape()[0], new TokenGrid(side, side));
    }

    /**
     * The centre square at original resolution ({@code side = min(w, h)}, corner {@code ((w - side) / 2,
     * (h - side) / 2)}, integer division: CLIP resizes the shorter side to the crop size and cuts the centre), under
     * the manifest's grid.
     */
    @Override
    public ImageLayout.Rule imageLayouts(ModelManifest manifest, Path modelDir) {
        int gridSide = manifest.dims().gridSize();
        if (gridSide <= 0) {
            throw new VlmscopeException("vlmscope.json of family " + ID + " has gridSize " + gridSide
                    + ": expected the side of its fixed visual-token grid (export the model again)");
        }
        TokenGrid grid = new TokenGrid(gridSide, gridSide);
        return (width, height) -> {
            int side = Math.min(width, height);
            return new ImageLayout((width - side) / 2, (height - side) / 2, side, side, grid);
        };
    }

    @Override
    public long[][] expandImages(ModelManifest manifest, long[][] rows, VisionInput vision) {
        long[][] ids = new long[rows.length][];
        for (int b = 0; b < rows.length; b++) {
            ids[b] = ImageTokens.expand(rows[b], manifest.imageTokenId(), manifest.dims().visualTokens());
        }
        return ids;
    }

    @Override
    public void checkVision(ModelManifest manifest, VisionInput vision, long[][] ids) {
        int images = ImageTokens.count(ids[0], manifest.imageTokenId());
        for (long[] row : ids) {
            if (ImageTokens.count(row, manifest.imageTokenId()) != images) {
                throw new VlmscopeException("every row of a batch must hold the same number of image tokens");
            }
        }
        if (vision == null) {
            return;
        }
        NamedTensor px = vision.pixelValues();
        int side = manifest.dims().imageSize();
        long[] want = {ids.length, 3, side, side};
        if (!Arrays.equals(px.shape(), want) || px.dtype() != DType.F32) {
            throw new VlmscopeException("pixel_values must be float32 " + Arrays.toString(want) + ", got "
                    + px.dtype() + " " + Arrays.toString(px.shape()));
        }
    }

    @Override
    public List<NamedTensor> visionFeeds(ModelManifest manifest, VisionInput vision) {
        NamedTensor px = vision.pixelValues();
        return List.of(new NamedTensor(GraphNames.PIXEL_VALUES, px.dtype(), px.shape(), px.data()));
    }

    /** LLaVA's vision graph already gives [batch, visual tokens, d_model], one row per prompt. */
    @Override
    public NamedTensor imageFeatures(ModelManifest manifest, NamedTensor visionFeatures, long[][] ids) {
        return visionFeatures;
    }
}
