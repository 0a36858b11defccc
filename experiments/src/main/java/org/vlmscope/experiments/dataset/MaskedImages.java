package org.vlmscope.experiments.dataset;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.vlmscope.core.VlmscopeException;
import org.vlmscope.experiments.ProgressListener;
import org.vlmscope.runtime.image.ImageDecoder;
import org.vlmscope.runtime.image.RgbImage;

/**
 * Writes the noise-masked crop ({@link NoiseMask}) of every kept image of a dataset as a PNG, named after the
 * image's file with a {@code .png} extension. An image that is missing or cannot be decoded is reported and
 * skipped; the others are written.
 */
public final class MaskedImages {
    private static final String TASK = "masking images";

    private MaskedImages() {
    }

    /** What was written, and why each image that was not failed (image id to message). */
    public record Report(int written, Map<Long, String> failed) {
    }

    public static Report write(List<DatasetRecord> records, Path imagesDir, Path outDir, long seed,
            ProgressListener progress) {
        try {
            Files.createDirectories(outDir);
        } catch (IOException e) {
            throw new VlmscopeException("cannot create " + outDir + ": " + e.getMessage(), e);
        }
        List<DatasetRecord> kept = records.stream().filter(DatasetRecord::kept).toList();
        int written = 0;
        Map<Long, String> failed = new LinkedHashMap<>();
        for (int i = 0; i < kept.size(); i++) {
            DatasetRecord r = kept.get(i);
            try {
                RgbImage image = ImageDecoder.read(imagesDir.resolve(r.file()));
                if (image.width() != r.width() || image.height() != r.height()) {
                    throw new VlmscopeException(r.file() + " is " + image.width() + "x" + image.height()
                            + " but the dataset says " + r.width() + "x" + r.height());
                }
                PngFiles.write(NoiseMask.apply(image, r, seed), outDir.resolve(pngName(r.file())));
                written++;
            } catch (VlmscopeException e) {
                failed.put(r.imageId(), e.getMessage());
            }
            progress.report(TASK, i + 1, kept.size());
        }
        return new Report(written, failed);
    }

    /** {@code 000000000009.jpg} -> {@code 000000000009.png}; sub-folders of the file name are kept flat. */
    static String pngName(String file) {
        String name = Path.of(file).getFileName().toString();
        int dot = name.lastIndexOf('.');
        return (dot > 0 ? name.substring(0, dot) : name) + ".png";
    }
}
