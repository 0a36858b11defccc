package org.vlmscope.experiments.scenes;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.IntConsumer;
import javax.imageio.ImageIO;
import org.vlmscope.core.TempFiles;
import org.vlmscope.core.VlmscopeException;

/**
 * Writes a scene set as COCO writes a dataset: {@code images/NNNNNNNNNNNN.png}, {@code instances.json} (COCO
 * detection format: polygon segmentations, painted areas, bboxes, one category per shape), {@code captions.json}
 * (COCO captions format: one description per image) and {@code questions.json} (per image: objects, description,
 * polling and VQA questions with answers). PNG, not JPEG, so every decoder sees the same pixels.
 */
public final class SceneSetWriter {
    public static final String IMAGES = "images";
    public static final String INSTANCES = "instances.json";
    public static final String CAPTIONS = "captions.json";
    public static final String QUESTIONS = "questions.json";
    private static final ObjectMapper JSON = new ObjectMapper();

    /** What was written. */
    public record Summary(int images, int annotations, int smallObjects, int largeObjects) {
    }

    private SceneSetWriter() {
    }

    /**
     * Writes scenes 1..count of {@code seed} into {@code dir}; each file appears whole or not at all.
     *
     * @param progress told the id of each scene once its image is written
     */
    public static Summary write(Path dir, int count, long seed, IntConsumer progress) {
        if (count < 1) {
            throw new VlmscopeException("a scene set needs at least one scene, asked for " + count);
        }
        SceneGenerator generator = new SceneGenerator(seed);
        List<Map<String, Object>> images = new ArrayList<>();
        List<Map<String, Object>> annotations = new ArrayList<>();
        List<Map<String, Object>> captions = new ArrayList<>();
        List<Map<String, Object>> questions = new ArrayList<>();
        int small = 0;
        int large = 0;
        try {
            Files.createDirectories(dir.resolve(IMAGES));
            for (int id = 1; id <= count; id++) {
                Scene scene = generator.scene(id);
                writePng(dir.resolve(IMAGES).resolve(scene.fileName()), scene);
                images.add(ordered("id", id, "file_name", scene.fileName(), "width", scene.width(),
                        "height", scene.height()));
                List<Map<String, Object>> objects = new ArrayList<>();
                for (SceneObject o : scene.objects()) {
                    int annotationId = annotations.size() + 1;
                    annotations.add(annotation(annotationId, id, o));
                    objects.add(ordered("annotation_id", annotationId, "shape", o.shape().word(),
                            "color", o.color().word(), "area", o.pixelArea()));
                    small += o.pixelArea() > SceneGenerator.SMALL_MIN_EXCLUSIVE
                            && o.pixelArea() < SceneGenerator.SMALL_MAX_EXCLUSIVE ? 1 : 0;
                    large += o.pixelArea() >= SceneGenerator.LARGE_MIN && o.pixelArea() <= SceneGenerator.LARGE_MAX
                            ? 1 : 0;
                }
                String description = SceneTexts.description(scene);
                captions.add(ordered("id", id, "image_id", id, "caption", description));
                questions.add(ordered("image_id", id, "file_name", scene.fileName(), "objects", objects,
                        "description", description, "polling", SceneTexts.polling(scene, seed),
                        "vqa", SceneTexts.vqa(scene)));
                progress.accept(id);
            }
            List<Map<String, Object>> categories = new ArrayList<>();
            for (ShapeKind s : ShapeKind.values()) {
                categories.add(ordered("id", categoryId(s), "name", s.word(), "supercategory", "shape"));
            }
            Map<String, Object> info = ordered("description", "vlmscope synthetic scenes", "seed", seed,
                    "count", count);
            writeJson(dir.resolve(INSTANCES), ordered("info", info, "licenses", List.of(), "images", images,
                    "annotations", annotations, "categories", categories));
            writeJson(dir.resolve(CAPTIONS), ordered("info", info, "licenses", List.of(), "images", images,
                    "annotations", captions));
            writeJson(dir.resolve(QUESTIONS), ordered("info", info, "images", questions));
        } catch (IOException e) {
            throw new VlmscopeException("cannot write the scene set in " + dir + ": " + e.getMessage(), e);
        }
        return new Summary(count, annotations.size(), small, large);
    }

    /** Category ids are 1-based in declaration order, as COCO's are 1-based. */
    public static int categoryId(ShapeKind shape) {
        return shape.ordinal() + 1;
    }

    private static Map<String, Object> annotation(int id, int imageId, SceneObject o) {
        double[] box = o.outline().bbox();
        return ordered("id", id, "image_id", imageId, "category_id", categoryId(o.shape()),
                "segmentation", List.of(o.outline().xy()), "area", o.pixelArea(),
                "bbox", new double[] {round(box[0]), round(box[1]), round(box[2]), round(box[3])}, "iscrowd", 0);
    }

    private static double round(double v) {
        return Math.round(v * 100) / 100.0;
    }

    /** A map that keeps the keys in the order given: key, value, key, value, ... */
    private static Map<String, Object> ordered(Object... keyValues) {
        Map<String, Object> map = new LinkedHashMap<>();
        for (int i = 0; i < keyValues.length; i += 2) {
            map.put((String) keyValues[i], keyValues[i + 1]);
        }
        return map;
    }

    private static void writePng(Path file, Scene scene) throws IOException {
        BufferedImage image = new BufferedImage(scene.width(), scene.height(), BufferedImage.TYPE_INT_RGB);
        image.setRGB(0, 0, scene.width(), scene.height(), scene.rgb(), 0, scene.width());
        Path tmp = TempFiles.beside(file, ".png");
        try {
            if (!ImageIO.write(image, "png", tmp.toFile())) {
                throw new IllegalStateException("this JDK has no PNG writer for javax.imageio");
            }
            Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    private static void writeJson(Path file, Object content) throws IOException {
        Path tmp = TempFiles.beside(file, ".json");
        try {
            JSON.writeValue(tmp.toFile(), content);
            Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } finally {
            Files.deleteIfExists(tmp);
        }
    }
}
