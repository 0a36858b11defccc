package org.vlmscope.experiments.dataset;

import org.vlmscope.core.ModelManifest;
import org.vlmscope.core.VlmscopeException;
import org.vlmscope.experiments.dataset.geometry.CenterCrop;
import org.vlmscope.experiments.dataset.geometry.TokenGrid;

/**
 * How a model sees an image, as far as a dataset needs it: the part of the image it keeps and the grid of visual
 * tokens laid over that part. LLaVA keeps the centre square; the grid's side comes from the model's manifest, so
 * a model with a 12x12 grid gets 12x12 object cells.
 */
public record ImageGeometry(TokenGrid grid) {
    /** LLaVA-1.5's centre crop under a 24x24 grid: the geometry when no model is given. */
    public static final ImageGeometry LLAVA_1_5 = new ImageGeometry(TokenGrid.LLAVA_1_5);

    private static final String CENTRE_CROP_FAMILY = "llava";

    /** The geometry of an exported model, read from its manifest. */
    public static ImageGeometry of(ModelManifest manifest) {
        if (!CENTRE_CROP_FAMILY.equals(manifest.family())) {
            throw new VlmscopeException("model family '" + manifest.family() + "': vlmscope knows the image "
                    + "geometry of '" + CENTRE_CROP_FAMILY + "' models (centre crop) only");
        }
        int side = manifest.dims().gridSize();
        if (side <= 0 || side * side != manifest.dims().visualTokens()) {
            throw new VlmscopeException("model manifest has gridSize " + side + " and visualTokens "
                    + manifest.dims().visualTokens() + ": expected visualTokens = gridSize x gridSize");
        }
        return new ImageGeometry(new TokenGrid(side));
    }

    /** The kept part of a {@code width x height} image. */
    public CenterCrop crop(int width, int height) {
        return CenterCrop.of(width, height);
    }
}
