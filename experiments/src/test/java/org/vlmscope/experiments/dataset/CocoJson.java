package org.vlmscope.experiments.dataset;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/** Hand-built COCO instances files for tests: images, categories and annotations given one by one. */
final class CocoJson {
    private final List<String> images = new ArrayList<>();
    private final List<String> annotations = new ArrayList<>();
    private final List<String> categories = new ArrayList<>();
    private int nextAnnotation = 1;

    CocoJson category(long id, String name) {
        categories.add(String.format(Locale.ROOT, "{\"id\": %d, \"name\": \"%s\", \"supercategory\": \"x\"}", id,
                name));
        return this;
    }

    CocoJson image(long id, int width, int height) {
        images.add(String.format(Locale.ROOT, "{\"id\": %d, \"file_name\": \"%012d.jpg\", \"width\": %d, "
                + "\"height\": %d, \"license\": 1}", id, id, width, height));
        return this;
    }

    /** A polygon annotation whose bbox is the polygons' bounding box; returns its id. */
    long polygons(long imageId, long categoryId, double area, double[]... parts) {
        StringBuilder seg = new StringBuilder("[");
        double x0 = Double.MAX_VALUE;
        double y0 = Double.MAX_VALUE;
        double x1 = -Double.MAX_VALUE;
        double y1 = -Double.MAX_VALUE;
        for (int p = 0; p < parts.length; p++) {
            seg.append(p == 0 ? "[" : ", [");
            for (int i = 0; i < parts[p].length; i++) {
                seg.append(i == 0 ? "" : ", ").append(parts[p][i]);
                if (i % 2 == 0) {
                    x0 = Math.min(x0, parts[p][i]);
                    x1 = Math.max(x1, parts[p][i]);
                } else {
                    y0 = Math.min(y0, parts[p][i]);
                    y1 = Math.max(y1, parts[p][i]);
                }
            }
            seg.append(']');
        }
        seg.append(']');
        String bbox = parts.length == 0 ? "[0, 0, 0, 0]"
                : String.format(Locale.ROOT, "[%s, %s, %s, %s]", x0, y0, x1 - x0, y1 - y0);
        return annotation(imageId, categoryId, area, 0, seg.toString(), bbox);
    }

    /** A crowd annotation with the RLE {@code rle} (a JSON object); returns its id. */
    long crowd(long imageId, long categoryId, double area, String rle) {
        return annotation(imageId, categoryId, area, 1, rle, "[0, 0, 1, 1]");
    }

    /** Any annotation, the segmentation given as raw JSON; returns its id. */
    long annotation(long imageId, long categoryId, double area, int crowd, String segmentation, String bbox) {
        long id = nextAnnotation++;
        annotations.add(String.format(Locale.ROOT, "{\"segmentation\": %s, \"area\": %s, \"iscrowd\": %d, "
                + "\"image_id\": %d, \"bbox\": %s, \"category_id\": %d, \"id\": %d}", segmentation, area, crowd,
                imageId, bbox, categoryId, id));
        return id;
    }

    /** The file in COCO's key order: info, licenses, images, annotations, categories. */
    String json() {
        return "{\"info\": {\"description\": \"test\"}, \"licenses\": [{\"id\": 1}],\n \"images\": [\n"
                + String.join(",\n", images) + "],\n \"annotations\": [\n" + String.join(",\n", annotations)
                + "],\n \"categories\": [" + String.join(", ", categories) + "]}\n";
    }

    Path write(Path file) {
        try {
            Files.writeString(file, json());
            return file;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static double[] square(double x0, double y0, double x1, double y1) {
        return new double[] {x0, y0, x1, y0, x1, y1, x0, y1};
    }
}
