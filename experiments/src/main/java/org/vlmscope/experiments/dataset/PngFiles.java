package org.vlmscope.experiments.dataset;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import javax.imageio.ImageIO;
import org.vlmscope.core.TempFiles;
import org.vlmscope.core.VlmscopeException;
import org.vlmscope.runtime.image.RgbImage;

/** Writes an {@link RgbImage} as a PNG, through a temporary file renamed into place. */
public final class PngFiles {
    private PngFiles() {
    }

    public static void write(RgbImage image, Path file) {
        BufferedImage out = new BufferedImage(image.width(), image.height(), BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < image.height(); y++) {
            for (int x = 0; x < image.width(); x++) {
                out.setRGB(x, y, image.sample(x, y, 0) << 16 | image.sample(x, y, 1) << 8 | image.sample(x, y, 2));
            }
        }
        try {
            Path temp = TempFiles.beside(file, ".png");
            try {
                if (!ImageIO.write(out, "png", temp.toFile())) {
                    throw new VlmscopeException("this JDK has no PNG writer for javax.imageio");
                }
                Files.move(temp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            } finally {
                Files.deleteIfExists(temp);
            }
        } catch (IOException e) {
            throw new VlmscopeException("cannot write " + file + ": " + e.getMessage(), e);
        }
    }
}
