package org.vlmscope.experiments.records;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.regex.Pattern;
import org.vlmscope.core.JsonErrors;
import org.vlmscope.core.VlmscopeException;

/**
 * Where the lens runner puts the viewer's data: {@code lens/<image>.json} (a {@link LensSidecar}) and the
 * cropped image {@code lens/<image>.png|.jpg}, written before the {@link LensRecord} that names them so a
 * record never points at a missing file.
 */
public final class LensSidecars {
    public static final String FOLDER = "lens";
    private static final Pattern SAFE_ID = Pattern.compile("[A-Za-z0-9._-]{1,200}");

    private LensSidecars() {
    }

    /**
     * Writes the cropped image ({@code extension} {@code png} or {@code jpg}) and the sidecar for it; returns
     * the sidecar's path relative to the results folder, for {@link LensRecord#sidecar()}. The sidecar's
     * {@code image} field is set here.
     */
    public static String write(Path resultsFolder, LensSidecar sidecar, byte[] croppedImage, String extension)
            throws IOException {
        if (!extension.equals("png") && !extension.equals("jpg")) {
            throw new IllegalArgumentException("the cropped image is png or jpg, not " + extension);
        }
        String base = FOLDER + "/" + fileName(sidecar.imageId());
        Files.createDirectories(resultsFolder.resolve(FOLDER));
        String image = base + "." + extension;
        AtomicFiles.write(resultsFolder.resolve(image), croppedImage);
        LensSidecar withImage = new LensSidecar(sidecar.imageId(), sidecar.gridRows(), sidecar.gridCols(),
                sidecar.layers(), sidecar.topK(), image, sidecar.tokens(), sidecar.probs());
        String json = base + ".json";
        AtomicFiles.write(resultsFolder.resolve(json), RecordJson.LINES.writeValueAsBytes(withImage));
        return json;
    }

    public static LensSidecar read(Path resultsFolder, String relative) throws IOException {
        Path file = resultsFolder.resolve(relative);
        try {
            return RecordJson.LINES.readValue(file.toFile(), LensSidecar.class);
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new VlmscopeException(file + ": not a lens sidecar (" + JsonErrors.describe(e) + ")");
        }
    }

    /** The image id as a file name; ids are dataset ids (COCO's are numbers), anything else is refused. */
    public static String fileName(String imageId) {
        if (!SAFE_ID.matcher(imageId).matches() || imageId.startsWith(".")) {
            throw new VlmscopeException("image id '" + imageId + "' cannot name a file: expected letters, digits, "
                    + "'.', '_' or '-'");
        }
        return imageId;
    }
}
