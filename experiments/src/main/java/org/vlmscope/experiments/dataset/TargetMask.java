package org.vlmscope.experiments.dataset;

import java.util.Arrays;
import org.vlmscope.core.VlmscopeException;
import org.vlmscope.experiments.dataset.coco.AnnotationShape;
import org.vlmscope.experiments.dataset.coco.CocoImage;
import org.vlmscope.experiments.dataset.coco.Segmentation;
import org.vlmscope.experiments.dataset.geometry.PixelMask;
import org.vlmscope.experiments.dataset.geometry.PolygonClipper;
import org.vlmscope.experiments.dataset.geometry.PolygonRasterizer;
import org.vlmscope.runtime.image.ImageLayout;
import org.vlmscope.runtime.text.PromptTemplates.Fidelity;

/**
 * The target's pixels inside the region the model keeps (the crop; for a model that keeps the whole image, the
 * image), in region coordinates (EXPERIMENTS.md, Dataset steps 2-3), or null when the
 * target does not survive the crop.
 *
 * <p>Polygons, code fidelity (the paper's {@code correct_annotations_for_crop}): the object is gone when its
 * {@code bbox}, shifted and cut as that code does, has no width or height; vertices are shifted and those outside
 * {@code 0 <= x < width, 0 <= y < height} dropped; parts left with fewer than 3 vertices are discarded. Paper
 * fidelity: every part is clipped to the region. Either way the parts are rasterised with pycocotools' rasteriser
 * on the region's raster and united. A crowd RLE is decoded at image size and cut to the crop in both.
 */
public final class TargetMask {
    public static final String OUTSIDE = "target outside the crop";

    private TargetMask() {
    }

    public static PixelMask of(long annotationId, AnnotationShape shape, CocoImage image, ImageLayout crop,
            Fidelity fidelity) {
        if (shape.segmentation() instanceof Segmentation.Rle rle) {
            if (rle.height() != image.height() || rle.width() != image.width()) {
                throw new VlmscopeException("annotation " + annotationId + " has an RLE of size [" + rle.height()
                        + ", " + rle.width() + "]: expected its image's [height, width] = [" + image.height() + ", "
                        + image.width() + "] (image " + image.id() + ")");
            }
            PixelMask mask = rle.toMask().window(crop.left(), crop.top(), crop.width(), crop.height());
            return mask.count() == 0 ? null : mask;
        }
        Segmentation.Polygons polygons = (Segmentation.Polygons) shape.segmentation();
        if (fidelity == Fidelity.CODE && !bboxSurvives(annotationId, shape.bbox(), crop)) {
            return null;
        }
        PixelMask mask = new PixelMask(crop.width(), crop.height());
        boolean anyPart = false;
        for (double[] part : polygons.parts()) {
            double[] shifted = shifted(part, crop);
            double[] kept = fidelity == Fidelity.CODE ? insideVertices(shifted, crop)
                    : PolygonClipper.clipToRectangle(shifted, crop.width(), crop.height());
            if (kept.length >= 6) {
                mask.addAll(PolygonRasterizer.rasterize(kept, crop.width(), crop.height()));
                anyPart = true;
            }
        }
        return anyPart ? mask : null;
    }

    /**
     * The paper's code: {@code new_x = max(0, x - left)}, {@code new_w = min(w, crop - new_x)} (crop: the region's
     * width; heights likewise), both sides > 0.
     */
    private static boolean bboxSurvives(long annotationId, double[] bbox, ImageLayout crop) {
        if (bbox == null) {
            throw new VlmscopeException("annotation " + annotationId + " has no 'bbox': code fidelity needs it to "
                    + "decide, as the paper's code does, whether the object survives the crop");
        }
        double newX = Math.max(0, bbox[0] - crop.left());
        double newY = Math.max(0, bbox[1] - crop.top());
        double newW = Math.min(bbox[2], crop.width() - newX);
        double newH = Math.min(bbox[3], crop.height() - newY);
        return newW > 0 && newH > 0;
    }

    private static double[] shifted(double[] part, ImageLayout crop) {
        double[] out = new double[part.length];
        for (int i = 0; i < part.length; i += 2) {
            out[i] = part[i] - crop.left();
            out[i + 1] = part[i + 1] - crop.top();
        }
        return out;
    }

    private static double[] insideVertices(double[] xy, ImageLayout crop) {
        double[] out = new double[xy.length];
        int n = 0;
        for (int i = 0; i < xy.length; i += 2) {
            if (xy[i] >= 0 && xy[i] < crop.width() && xy[i + 1] >= 0 && xy[i + 1] < crop.height()) {
                out[n++] = xy[i];
                out[n++] = xy[i + 1];
            }
        }
        return Arrays.copyOf(out, n);
    }
}
