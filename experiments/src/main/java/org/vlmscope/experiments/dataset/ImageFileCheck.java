package org.vlmscope.experiments.dataset;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Iterator;
import java.util.Locale;
import javax.imageio.ImageIO;
import javax.imageio.ImageReader;
import javax.imageio.stream.ImageInputStream;
import org.vlmscope.experiments.dataset.coco.CocoImage;

/**
 * Whether an image of a COCO file is present in an image folder as a JPEG or PNG of the size the annotations
 * state. Only the header is read: pixels are decoded later, by the step that needs them.
 */
public final class ImageFileCheck {
    private ImageFileCheck() {
    }

    /** Null when the file is fine, otherwise a short reason for the record's {@code why}. */
    public static String problem(Path imagesDir, CocoImage image) {
        Path file = imagesDir.resolve(image.fileName());
        if (!Files.isRegularFile(file)) {
            return "image file not found";
        }
        try (ImageInputStream in = ImageIO.createImageInputStream(file.toFile())) {
            Iterator<ImageReader> readers = in == null ? null : ImageIO.getImageReaders(in);
            if (readers == null || !readers.hasNext()) {
                return "not an image (expected JPEG or PNG)";
            }
            ImageReader reader = readers.next();
            try {
                String format = reader.getFormatName().toLowerCase(Locale.ROOT);
                if (!format.equals("jpeg") && !format.equals("png")) {
                    return "a " + format.toUpperCase(Locale.ROOT) + " image (expected JPEG or PNG)";
                }
                reader.setInput(in, true, true);
                int width = reader.getWidth(0);
                int height = reader.getHeight(0);
                if (width != image.width() || height != image.height()) {
                    return "image is " + width + "x" + height + " but the annotations say " + image.width() + "x"
                            + image.height();
                }
                return null;
            } finally {
                reader.dispose();
            }
        } catch (IOException | RuntimeException e) {
            return "unreadable image (" + e.getMessage() + ")";
        }
    }
}
