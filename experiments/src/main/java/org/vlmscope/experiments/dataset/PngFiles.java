package org.vlmscope.experiments.dataset;

import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import javax.imageio.ImageIO;
import java.nio.file.Path;
import org.vlmscope.core.VlmscopeException;
import org.vlmscope.experiments.records.AtomicFiles;
import org.vlmscope.runtime.image.RgbImage;

/** Writes an {@link RgbImage} as a PNG, through a temporary file renamed into place. */
public final class PngFiles {
    private PngFiles() {
    }

    public static void write(RgbImage image, Path file) {
        try {
            AtomicFiles.write(file, bytes(image));
        } catch (IOException e) {
            throw new VlmscopeException("cannot write " + file + ": " + e.getMessage(), e);
        }
    }

    /** The PNG encoding of {@code image}. */
    public static byte[] bytes(RgbImage image) {
        BufferedImage out = new BufferedImage(image.width(), image.height(), BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < image.height(); y++) {
            for (int x = 0; x < image.width(); x++) {
                out.setRGB(x, y, image.sample(x, y, 0) << 16 | image.sample(x, y, 1) << 8 | image.sample(x, y, 2));
            }
        }
        ByteArrayOutputStream png = new ByteArrayOutputStream();
        try {
            if (!ImageIO.write(out, "png", png)) {
                throw new VlmscopeException("this JDK has no PNG writer for javax.imageio");
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return png.toByteArray();
    }
}
