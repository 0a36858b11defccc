package org.vlmscope.experiments.run;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.vlmscope.core.VlmscopeException;
import org.vlmscope.experiments.dataset.DatasetRecord;
import org.vlmscope.experiments.dataset.ImageGeometry;
import org.vlmscope.experiments.dataset.geometry.TokenGrid;

/**
 * Checks, before a run opens its results folder, that the dataset items it selected can be run: made for the
 * model's grid and in the run's fidelity, with object cells and buffers, an object name the tokenizer can write,
 * and an image file in the images folder. Each refusal names the dataset, the image and what was expected.
 */
public final class ExperimentImages {
    private ExperimentImages() {
    }

    /** Checks one kept dataset record for {@code model}; {@code source} names the file it came from. */
    public static ObjectToken check(DatasetRecord r, Path source, Path imagesDir, ExperimentModel model) {
        String where = source + ": image " + r.imageId();
        ImageGeometry g = model.geometry();
        String mismatch = g.mismatch(r);
        if (mismatch != null) {
            throw new VlmscopeException(where + " " + mismatch + ": build the dataset again with --model "
                    + model.dir());
        }
        String fidelity = model.fidelity().name().toLowerCase(java.util.Locale.ROOT);
        if (r.fidelity() != null && !r.fidelity().equals(fidelity)) {
            throw new VlmscopeException(where + " was made with --fidelity " + r.fidelity() + " but this run is "
                    + fidelity + ": the object cells differ between fidelities; use the matching dataset");
        }
        if (empty(r.objectCells())) {
            throw new VlmscopeException(where + " has no object cells: expected a kept record of 'vlmscope dataset "
                    + "coco' with object_cells, buffer1 and buffer2");
        }
        if (r.buffer1() == null || r.buffer2() == null) {
            throw new VlmscopeException(where + " has no buffer1/buffer2 cells: expected a record of 'vlmscope "
                    + "dataset coco'");
        }
        TokenGrid grid = r.tokenGrid();
        for (int[] list : List.of(r.objectCells(), r.buffer1(), r.buffer2())) {
            for (int c : list) {
                if (c < 0 || c >= grid.cells()) {
                    throw new VlmscopeException(where + " has cell " + c + " outside the " + grid + " grid");
                }
            }
        }
        if (r.file() == null || !Files.isRegularFile(imagesDir.resolve(r.file()))) {
            throw new VlmscopeException(where + ": its image file " + r.file() + " is not in " + imagesDir
                    + ": expected the folder the dataset was built from");
        }
        return ObjectToken.of(model.tokenizer(), r.object(), where);
    }

    private static boolean empty(int[] cells) {
        return cells == null || cells.length == 0;
    }
}
