package org.vlmscope.experiments.mean;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.stream.Stream;
import org.vlmscope.core.VlmscopeException;

/** The JPEG and PNG files under a folder, recursively, by extension, in sorted path order (repeatable runs). */
public final class ImageFolder {
    private ImageFolder() {
    }

    public static List<Path> list(Path dir) {
        if (!Files.isDirectory(dir)) {
            throw new VlmscopeException(dir + " is not a folder: expected a folder of JPEG or PNG images");
        }
        try (Stream<Path> files = Files.walk(dir)) {
            List<Path> images = files.filter(Files::isRegularFile).filter(ImageFolder::isImageName).sorted().toList();
            if (images.isEmpty()) {
                throw new VlmscopeException(dir + " holds no .jpg, .jpeg or .png file (searched recursively)");
            }
            return images;
        } catch (IOException e) {
            throw new VlmscopeException("cannot list " + dir + ": " + e.getMessage(), e);
        }
    }

    private static boolean isImageName(Path file) {
        String name = file.getFileName().toString().toLowerCase(Locale.ROOT);
        return name.endsWith(".jpg") || name.endsWith(".jpeg") || name.endsWith(".png");
    }
}
