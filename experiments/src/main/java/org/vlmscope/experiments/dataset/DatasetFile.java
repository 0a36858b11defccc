package org.vlmscope.experiments.dataset;

import java.nio.file.Path;
import java.util.List;
import org.vlmscope.core.VlmscopeException;

/** Reads a dataset file written by {@link CocoDataset}, optionally checking that it was made for a model's grid. */
public final class DatasetFile {
    private DatasetFile() {
    }

    public static List<DatasetRecord> read(Path file) {
        return JsonLines.read(file, DatasetRecord.class, "a dataset record (vlmscope dataset coco)");
    }

    /**
     * The records of {@code file}, refusing a dataset whose grid is not the model's: object cells on a 24x24 grid
     * mean other tokens on a 12x12 one, and a per-image grid must be the one the model gives the image.
     */
    public static List<DatasetRecord> readFor(Path file, ImageGeometry model) {
        List<DatasetRecord> records = read(file);
        for (DatasetRecord r : records) {
            String mismatch = model.mismatch(r);
            if (mismatch != null) {
                throw new VlmscopeException(file + ": image " + r.imageId() + " " + mismatch
                        + ": build the dataset again with --model");
            }
        }
        return records;
    }
}
