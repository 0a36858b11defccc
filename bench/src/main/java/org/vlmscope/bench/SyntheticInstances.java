package org.vlmscope.bench;

import java.io.BufferedWriter;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.SplittableRandom;
import org.vlmscope.core.VlmscopeException;

/**
 * Writes a COCO instances file with the shape of train2017 (118,287 images, 860,001 annotations, about 450 MB):
 * 640x480-like images, 40% of them with 1 to 3 annotations and the rest with 4 to 17, polygons of 6 to 50
 * vertices with two decimals as COCO writes them, about 1% crowd annotations with uncompressed RLE, 80 categories,
 * and annotations in image order except that every tenth swaps with the one five places on, so that a reader may
 * not assume an image's annotations are contiguous. Seeded: the same arguments give the same
 * bytes. For benchmarks only; no pixels are written.
 */
public final class SyntheticInstances {
    private static final int CATEGORIES = 80;

    private SyntheticInstances() {
    }

    public static void write(Path file, int images, int annotations, long seed) {
        SplittableRandom random = new SplittableRandom(seed);
        int[] widths = new int[images];
        int[] heights = new int[images];
        try (BufferedWriter out = new BufferedWriter(Files.newBufferedWriter(file, StandardCharsets.US_ASCII), 1 << 16)) {
            out.write("{\"info\": {\"description\": \"synthetic train2017-sized instances\"}, \"licenses\": [],\n");
            out.write("\"images\": [");
            for (int i = 0; i < images; i++) {
                boolean landscape = random.nextInt(4) != 0;
                widths[i] = landscape ? 640 : 360 + random.nextInt(121);
                heights[i] = landscape ? 360 + random.nextInt(121) : 640;
                out.write(i == 0 ? "\n" : ",\n");
                out.write("{\"license\": 1, \"file_name\": \"" + String.format("%012d", i + 1) + ".jpg\", "
                        + "\"coco_url\": \"http://images.cocodataset.org/train2017/" + String.format("%012d", i + 1)
                        + ".jpg\", \"height\": " + heights[i] + ", \"width\": " + widths[i] + ", \"date_captured\": "
                        + "\"2013-11-14 11:18:45\", \"id\": " + (i + 1) + "}");
            }
            out.write("],\n\"annotations\": [");
            int[] imageOf = imageOfEachAnnotation(images, annotations, random);
            StringBuilder line = new StringBuilder(2048);
            for (int a = 0; a < annotations; a++) {
                int image = imageOf[a];
                line.setLength(0);
                line.append(a == 0 ? "\n" : ",\n");
                annotation(line, a + 1, image + 1, widths[image], heights[image], random);
                out.append(line);
            }
            out.write("],\n\"categories\": [");
            for (int c = 1; c <= CATEGORIES; c++) {
                out.write((c == 1 ? "" : ", ") + "{\"supercategory\": \"thing\", \"id\": " + c + ", \"name\": \"thing"
                        + c + "\"}");
            }
            out.write("]}\n");
        } catch (IOException e) {
            throw new VlmscopeException("cannot write " + file + ": " + e.getMessage(), e);
        }
    }

    private static int[] imageOfEachAnnotation(int images, int annotations, SplittableRandom random) {
        int[] imageOf = new int[annotations];
        int a = 0;
        for (int i = 0; i < images && a < annotations; i++) {
            int count = random.nextInt(10) < 4 ? 1 + random.nextInt(3) : 4 + random.nextInt(14);
            if (i == images - 1) {
                count = annotations - a;
            }
            for (int k = 0; k < count && a < annotations; k++) {
                imageOf[a++] = i;
            }
        }
        for (int k = a; k < annotations; k++) {
            imageOf[k] = images - 1;
        }
        for (int k = 0; k + 5 < annotations; k += 10) {
            int t = imageOf[k];
            imageOf[k] = imageOf[k + 5];
            imageOf[k + 5] = t;
        }
        return imageOf;
    }

    private static void annotation(StringBuilder out, int id, int imageId, int width, int height,
            SplittableRandom random) {
        boolean crowd = random.nextInt(100) == 0;
        double cx = 20 + random.nextDouble() * (width - 40);
        double cy = 20 + random.nextDouble() * (height - 40);
        double radius = 5 + random.nextDouble() * random.nextDouble() * 150;
        out.append("{\"segmentation\": ");
        if (crowd) {
            // Uncompressed RLE of a box around the centre: per column, (top gap, box height) runs.
            int x0 = (int) Math.max(0, cx - radius);
            int x1 = (int) Math.min(width - 1, cx + radius);
            int y0 = (int) Math.max(0, cy - radius);
            int y1 = (int) Math.min(height - 1, cy + radius);
            int boxHeight = y1 - y0 + 1;
            out.append("{\"counts\": [").append(x0 * height + y0);
            for (int x = x0; x <= x1; x++) {
                out.append(", ").append(boxHeight).append(", ").append(x < x1 ? height - boxHeight
                        : (width - x1) * height - y1 - 1);
            }
            out.append("], \"size\": [").append(height).append(", ").append(width).append("]}");
        } else {
            int vertices = 6 + random.nextInt(45);
            out.append("[[");
            for (int v = 0; v < vertices; v++) {
                double angle = 2 * Math.PI * v / vertices;
                double r = radius * (0.7 + 0.3 * random.nextDouble());
                out.append(v == 0 ? "" : ",").append(twoDecimals(clamp(cx + r * Math.cos(angle), width)))
                        .append(',').append(twoDecimals(clamp(cy + r * Math.sin(angle), height)));
            }
            out.append("]]");
        }
        double area = Math.PI * radius * radius * 0.8;
        out.append(", \"area\": ").append(twoDecimals(area)).append(", \"iscrowd\": ").append(crowd ? 1 : 0)
                .append(", \"image_id\": ").append(imageId).append(", \"bbox\": [")
                .append(twoDecimals(Math.max(0, cx - radius))).append(", ").append(twoDecimals(Math.max(0, cy - radius)))
                .append(", ").append(twoDecimals(2 * radius)).append(", ").append(twoDecimals(2 * radius))
                .append("], \"category_id\": ").append(1 + random.nextInt(CATEGORIES)).append(", \"id\": ").append(id)
                .append('}');
    }

    private static double clamp(double v, int max) {
        return Math.max(0, Math.min(max, v));
    }

    private static String twoDecimals(double v) {
        return Double.toString(Math.round(v * 100) / 100.0);
    }
}
