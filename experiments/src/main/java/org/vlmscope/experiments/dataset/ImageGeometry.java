package org.vlmscope.experiments.dataset;

import java.nio.file.Path;
import org.vlmscope.core.ModelManifest;
import org.vlmscope.core.VlmscopeException;
import org.vlmscope.experiments.dataset.geometry.CenterCrop;
import org.vlmscope.experiments.dataset.geometry.TokenGrid;
import org.vlmscope.runtime.family.RuntimeFamilies;
import org.vlmscope.runtime.image.ImageLayout;
import org.vlmscope.runtime.text.PromptTemplates.Fidelity;

/**
 * How a model sees an image, as far as a dataset needs it: the part of the image it keeps and the grid of visual
 * tokens laid over that part (the model family's {@link ImageLayout.Rule}). LLaVA keeps the centre square under the
 * manifest's fixed grid, so a model with a 12x12 grid gets 12x12 object cells; Qwen2-VL keeps the whole image under
 * a grid that follows the image's size (smart_resize, 28 px cells after the resize).
 */
public final class ImageGeometry {
    /** LLaVA-1.5's centre crop under a 24x24 grid: the geometry when no model is given. */
    public static final ImageGeometry LLAVA_1_5 = new ImageGeometry(TokenGrid.LLAVA_1_5);

    private static final String CENTRE_CROP_FAMILY = "llava";

    /** The grid of every image, or null when each image has its own. */
    private final TokenGrid fixedGrid;
    private final ImageLayout.Rule layouts;

    /** A centre-cropping model with a fixed {@code grid} (LLaVA's geometry). */
    public ImageGeometry(TokenGrid grid) {
        this(grid, (width, height) -> {
            CenterCrop c = CenterCrop.of(width, height);
            return new ImageLayout(c.left(), c.top(), c.size(), c.size(), grid.runtimeGrid());
        });
    }

    private ImageGeometry(TokenGrid fixedGrid, ImageLayout.Rule layouts) {
        this.fixedGrid = fixedGrid;
        this.layouts = layouts;
    }

    /** The geometry of a centre-cropping, fixed-grid model, read from its manifest. */
    public static ImageGeometry of(ModelManifest manifest) {
        if (!CENTRE_CROP_FAMILY.equals(manifest.family())) {
            throw new VlmscopeException("model family '" + manifest.family() + "': its image geometry depends on "
                    + "its image processor; give the model directory (only '" + CENTRE_CROP_FAMILY + "' models "
                    + "are known from the manifest alone)");
        }
        return new ImageGeometry(fixedGrid(manifest));
    }

    /**
     * The geometry of the exported model in {@code modelDir}, from its family: a fixed grid when the manifest has
     * one, else a grid per image from the model's image processor settings.
     */
    public static ImageGeometry of(Path modelDir) {
        ModelManifest manifest = ModelManifest.read(modelDir);
        ImageLayout.Rule layouts = RuntimeFamilies.of(manifest).imageLayouts(manifest, modelDir);
        return new ImageGeometry(manifest.dims().gridSize() > 0 ? fixedGrid(manifest) : null, layouts);
    }

    private static TokenGrid fixedGrid(ModelManifest manifest) {
        int side = manifest.dims().gridSize();
        if (side <= 0 || side * side != manifest.dims().visualTokens()) {
            throw new VlmscopeException("model manifest has gridSize " + side + " and visualTokens "
                    + manifest.dims().visualTokens() + ": expected visualTokens = gridSize x gridSize");
        }
        return new TokenGrid(side);
    }

    /** Whether every image has its own grid (then {@link #grid()} has none to give). */
    public boolean gridPerImage() {
        return fixedGrid == null;
    }

    /** The grid every image shares. */
    public TokenGrid grid() {
        if (fixedGrid == null) {
            throw new VlmscopeException("this model's token grid varies per image: ask for an image's grid");
        }
        return fixedGrid;
    }

    /** The region kept of a {@code width x height} image and the grid over it. */
    public ImageLayout layout(int width, int height) {
        return layouts.of(width, height);
    }

    /** The token grid of a {@code width x height} image. */
    public TokenGrid gridOf(int width, int height) {
        return TokenGrid.of(layout(width, height).grid());
    }

    /**
     * Whether cells are whole pixel blocks ({@code region / grid}, integer division): the paper's code for LLaVA's
     * fixed grid in code fidelity. A per-image grid always has exact cells (its cells are whole 28 px blocks of the
     * resized image, fractional in the original's pixels).
     */
    public boolean integerCells(Fidelity fidelity) {
        return fixedGrid != null && fidelity == Fidelity.CODE;
    }

    /** The grid, as messages name it: "24x24", or "per image". */
    public String describe() {
        return fixedGrid == null ? "per-image" : fixedGrid.toString();
    }

    /**
     * Why dataset record {@code r} does not fit this geometry (its cells would index other tokens), or null when it
     * does: a fixed grid must equal the record's; a per-image grid must equal the record's rows x cols.
     */
    public String mismatch(DatasetRecord r) {
        if (fixedGrid != null) {
            if (r.rows() == null && r.grid() == fixedGrid.side()) {
                return null;
            }
            String made = r.rows() != null ? r.rows() + "x" + r.cols() + " (per-image)" : r.grid() + "x" + r.grid();
            return "was made for a " + made + " token grid, but the model has " + fixedGrid;
        }
        if (r.rows() == null || r.cols() == null) {
            return r.kept() ? "was made for a fixed " + r.grid() + "x" + r.grid() + " token grid, but the model's grid "
                    + "varies per image" : null;
        }
        TokenGrid own = gridOf(r.width(), r.height());
        return own.equals(r.tokenGrid()) ? null : "was made for a " + r.tokenGrid() + " token grid, but the model "
                + "gives this " + r.width() + "x" + r.height() + " image " + own;
    }
}
