package org.vlmscope.experiments.dataset;

import java.nio.file.Path;
import java.util.BitSet;
import java.util.Locale;
import java.util.Map;
import org.vlmscope.core.VlmscopeException;
import org.vlmscope.experiments.ProgressListener;
import org.vlmscope.experiments.dataset.coco.AnnotationShape;
import org.vlmscope.experiments.dataset.coco.Annotations;
import org.vlmscope.experiments.dataset.coco.CocoImage;
import org.vlmscope.experiments.dataset.coco.Instances;
import org.vlmscope.experiments.dataset.coco.InstancesReader;
import org.vlmscope.experiments.dataset.geometry.PixelMask;
import org.vlmscope.experiments.dataset.geometry.TokenGrid;
import org.vlmscope.runtime.image.ImageLayout;
import org.vlmscope.runtime.text.PromptTemplates.Fidelity;

/**
 * Builds a dataset file from a COCO instances file (EXPERIMENTS.md, Dataset steps 1-4): one record per image of
 * the {@code images} list, in list order, kept or rejected with the reason. A kept record carries the target,
 * the crop, the grid (for a model with a grid per image: that image's rows and cols, and no crop), the object
 * cells and their buffers.
 */
public final class CocoDataset {
    public static final String NO_CELL = "target covers no grid cell";
    /** Why an image the model's image processor refuses (too small, too extreme an aspect ratio) is left out. */
    public static final String IMAGE_REFUSED = "the model cannot take this image: ";
    private static final String TASK_WRITE = "writing records";

    private CocoDataset() {
    }

    /**
     * What to build: the selection rule, the model's image geometry, the fidelity, and the image folder whose
     * files are checked for the kept images (null: not checked).
     */
    public record Options(CocoFilter filter, ImageGeometry geometry, Fidelity fidelity, Path imagesDir) {
    }

    /** Filters {@code instancesFile} into {@code out} (JSON lines, written atomically). */
    public static DatasetSummary build(Path instancesFile, Options options, Path out, ProgressListener progress) {
        Instances instances = InstancesReader.read(instancesFile, progress);
        int count = instances.images().size();
        int[] targets = new int[count];
        int[] annotationCounts = new int[count];
        BitSet wanted = new BitSet(instances.annotations().size());
        for (int i = 0; i < count; i++) {
            int[] indices = instances.annotationsOf(i);
            annotationCounts[i] = indices.length;
            targets[i] = options.filter().target(instances.annotations(), indices);
            if (targets[i] >= 0) {
                wanted.set(targets[i]);
            }
        }
        Map<Integer, AnnotationShape> shapes = InstancesReader.segmentations(instances, wanted, progress);
        DatasetSummary.Tally tally = new DatasetSummary.Tally();
        try (JsonLines lines = JsonLines.create(out)) {
            for (int i = 0; i < count; i++) {
                CocoImage image = instances.images().get(i);
                DatasetRecord record = targets[i] < 0
                        ? rejected(image, options, options.filter().rejection(annotationCounts[i]))
                        : kept(instances, image, targets[i], shapes.get(targets[i]), options);
                lines.write(record);
                tally.add(record);
                if ((i + 1) % 1024 == 0 || i + 1 == count) {
                    progress.report(TASK_WRITE, i + 1, count);
                }
            }
            lines.commit();
        }
        return tally.summary();
    }

    private static DatasetRecord rejected(CocoImage image, Options options, String why) {
        ImageGeometry g = options.geometry();
        return new DatasetRecord(image.id(), image.fileName(), image.width(), image.height(), false, why, null, null,
                null, null, null, g.gridPerImage() ? 0 : g.grid().side(), fidelityName(options), null, null, null);
    }

    private static DatasetRecord kept(Instances instances, CocoImage image, int target, AnnotationShape shape,
            Options options) {
        Annotations annotations = instances.annotations();
        ImageGeometry geometry = options.geometry();
        ImageLayout layout = null;
        String refused = null;
        try {
            layout = geometry.layout(image.width(), image.height());
        } catch (VlmscopeException e) {
            refused = IMAGE_REFUSED + e.getMessage();
        }
        TokenGrid grid = layout == null ? null : TokenGrid.of(layout.grid());
        boolean perImage = geometry.gridPerImage();
        long categoryId = annotations.categoryId(target);
        DatasetRecord candidate = new DatasetRecord(image.id(), image.fileName(), image.width(), image.height(), true,
                null, annotations.id(target), categoryId, instances.categoryName(categoryId), annotations.area(target),
                perImage ? null : new int[] {layout.left(), layout.top(), layout.width()},
                perImage ? 0 : grid.side(), perImage && grid != null ? grid.rows() : null,
                perImage && grid != null ? grid.cols() : null, fidelityName(options), null, null, null);
        if (refused != null) {
            return candidate.rejected(refused);
        }
        PixelMask mask = TargetMask.of(annotations.id(target), shape, image, layout, options.fidelity());
        if (mask == null) {
            return candidate.rejected(TargetMask.OUTSIDE);
        }
        int[] cells = grid.cellsCovering(mask, geometry.integerCells(options.fidelity()));
        if (cells.length == 0) {
            return candidate.rejected(NO_CELL);
        }
        if (options.imagesDir() != null) {
            String problem = ImageFileCheck.problem(options.imagesDir(), image);
            if (problem != null) {
                return candidate.rejected(problem);
            }
        }
        return candidate.withCells(cells, grid.dilate(cells, 1), grid.dilate(cells, 2));
    }

    private static String fidelityName(Options options) {
        return options.fidelity().name().toLowerCase(Locale.ROOT);
    }
}
