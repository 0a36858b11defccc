package org.vlmscope.cli;

import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import javax.imageio.ImageIO;

/**
 * A small COCO-format dataset generated on the fly: an images folder and an instances file whose objects are drawn
 * into the pictures. Image 1 (landscape JPEG) and image 3 (square PNG, crowd RLE) are kept by the ablation filter;
 * image 2 has four annotations; image 4's file is missing; image 5's file is not an image.
 */
public record CocoFixture(Path instances, Path images) {
    static final long CAT = 17;
    static final long DOG = 18;

    static CocoFixture write(Path dir) {
        try {
            Path images = Files.createDirectories(dir.resolve("images"));
            picture(96, 72, 40, 20, 70, 50, "jpg", images.resolve("000000000001.jpg"));
            picture(72, 96, 10, 10, 30, 30, "png", images.resolve("000000000002.png"));
            picture(64, 64, 0, 0, 16, 16, "png", images.resolve("000000000003.png"));
            Files.writeString(images.resolve("000000000005.jpg"), "this is not a picture");
            Path instances = dir.resolve("instances.json");
            Files.writeString(instances, json());
            return new CocoFixture(instances, images);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** A grey picture with a red rectangle (the object) from (x0, y0) to (x1, y1). */
    public static void picture(int width, int height, int x0, int y0, int x1, int y1, String format, Path file)
            throws IOException {
        BufferedImage image = new BufferedImage(width, height, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = image.createGraphics();
        g.setColor(new Color(120, 130, 140));
        g.fillRect(0, 0, width, height);
        g.setColor(new Color(220, 40, 30));
        g.fillRect(x0, y0, x1 - x0, y1 - y0);
        g.dispose();
        if (!ImageIO.write(image, format, file.toFile())) {
            throw new IOException("no " + format + " writer");
        }
    }

    private static String json() {
        // Image 3's crowd RLE: the 16x16 top-left block of a 64x64 image, column-major runs.
        StringBuilder rle = new StringBuilder("0");
        for (int column = 0; column < 16; column++) {
            rle.append(", 16, ").append(column < 15 ? 48 : 48 + 48 * 64);
        }
        return "{\"info\": {}, \"images\": ["
                + image(1, "000000000001.jpg", 96, 72) + ", " + image(2, "000000000002.png", 72, 96) + ", "
                + image(3, "000000000003.png", 64, 64) + ", " + image(4, "000000000004.jpg", 64, 64) + ", "
                + image(5, "000000000005.jpg", 64, 64) + "],\n\"annotations\": ["
                + polygon(11, 1, CAT, 1500, 40, 20, 70, 50) + ", "
                + polygon(21, 2, CAT, 400, 10, 10, 30, 30) + ", " + polygon(22, 2, DOG, 1500, 10, 10, 30, 30) + ", "
                + polygon(23, 2, DOG, 400, 10, 10, 30, 30) + ", " + polygon(24, 2, CAT, 400, 10, 10, 30, 30) + ", "
                + "{\"id\": 31, \"image_id\": 3, \"category_id\": " + DOG + ", \"area\": 1200, \"iscrowd\": 1, "
                + "\"bbox\": [0, 0, 16, 16], \"segmentation\": {\"counts\": [" + rle + "], \"size\": [64, 64]}}, "
                + polygon(41, 4, CAT, 1500, 10, 10, 40, 40) + ", " + polygon(51, 5, CAT, 1500, 10, 10, 40, 40)
                + "],\n\"categories\": [{\"id\": " + CAT + ", \"name\": \"cat\"}, {\"id\": " + DOG
                + ", \"name\": \"dog\"}]}\n";
    }

    private static String image(long id, String file, int width, int height) {
        return "{\"id\": " + id + ", \"file_name\": \"" + file + "\", \"width\": " + width + ", \"height\": " + height
                + "}";
    }

    private static String polygon(long id, long imageId, long category, double area, int x0, int y0, int x1,
            int y1) {
        return "{\"id\": " + id + ", \"image_id\": " + imageId + ", \"category_id\": " + category + ", \"area\": "
                + area + ", \"iscrowd\": 0, \"bbox\": [" + x0 + ", " + y0 + ", " + (x1 - x0) + ", " + (y1 - y0)
                + "], \"segmentation\": [[" + x0 + ", " + y0 + ", " + x1 + ", " + y0 + ", " + x1 + ", " + y1 + ", "
                + x0 + ", " + y1 + "]]}";
    }
}
