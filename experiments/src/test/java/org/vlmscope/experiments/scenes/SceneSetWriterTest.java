package org.vlmscope.experiments.scenes;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.Set;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SceneSetWriterTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path tmp;

    /** The files are standard COCO: ids link up, boxes hold their polygons, PNGs hold the scene's pixels. */
    @Test
    void writesACocoDatasetWithCaptionsAndQuestions() throws IOException {
        Path dir = tmp.resolve("scenes");
        SceneSetWriter.Summary summary = SceneSetWriter.write(dir, 12, 8, id -> { });
        JsonNode instances = JSON.readTree(dir.resolve(SceneSetWriter.INSTANCES).toFile());
        assertEquals(12, instances.path("images").size());
        assertEquals(summary.annotations(), instances.path("annotations").size());
        Set<String> names = new HashSet<>();
        instances.path("categories").forEach(c -> names.add(c.path("name").asText()));
        assertEquals(Set.of("circle", "square", "triangle", "star", "cross", "heart", "diamond", "moon"), names);

        SceneGenerator generator = new SceneGenerator(8);
        for (JsonNode image : instances.path("images")) {
            Scene scene = generator.scene(image.path("id").asInt());
            BufferedImage png = ImageIO.read(dir.resolve(SceneSetWriter.IMAGES).resolve(image.path("file_name").asText())
                    .toFile());
            assertEquals(scene.width(), image.path("width").asInt());
            assertEquals(scene.height(), png.getHeight());
            int[] rgb = png.getRGB(0, 0, png.getWidth(), png.getHeight(), null, 0, png.getWidth());
            for (int i = 0; i < rgb.length; i++) {
                rgb[i] &= 0xFFFFFF;
            }
            assertArrayEquals(scene.rgb(), rgb, "PNG pixels of scene " + scene.id());
        }
        Set<Integer> annotationIds = new HashSet<>();
        for (JsonNode a : instances.path("annotations")) {
            assertTrue(annotationIds.add(a.path("id").asInt()), "annotation ids are unique");
            assertEquals(0, a.path("iscrowd").asInt());
            JsonNode polygon = a.path("segmentation").get(0);
            JsonNode box = a.path("bbox");
            for (int i = 0; i < polygon.size(); i += 2) {
                double x = polygon.get(i).asDouble();
                double y = polygon.get(i + 1).asDouble();
                assertTrue(x >= box.get(0).asDouble() - 0.01 && x <= box.get(0).asDouble() + box.get(2).asDouble() + 0.01
                        && y >= box.get(1).asDouble() - 0.01 && y <= box.get(1).asDouble() + box.get(3).asDouble() + 0.01,
                        "vertex inside its bbox");
            }
            assertTrue(a.path("area").asInt() > 0);
        }

        JsonNode captions = JSON.readTree(dir.resolve(SceneSetWriter.CAPTIONS).toFile());
        JsonNode questions = JSON.readTree(dir.resolve(SceneSetWriter.QUESTIONS).toFile()).path("images");
        assertEquals(12, captions.path("annotations").size());
        for (int i = 0; i < 12; i++) {
            JsonNode q = questions.get(i);
            assertEquals(captions.path("annotations").get(i).path("caption").asText(), q.path("description").asText());
            assertTrue(q.path("polling").size() >= 2, "yes and no questions");
            assertEquals("Is there a " + q.path("polling").get(0).path("object").asText() + " in this image?",
                    q.path("polling").get(0).path("question").asText());
            assertTrue(q.path("vqa").size() >= 1 || q.path("objects").size() > 1, "a lone object is always asked about");
        }
    }

    @Test
    void theSameSeedWritesTheSameFiles() throws IOException {
        SceneSetWriter.write(tmp.resolve("a"), 3, 21, id -> { });
        SceneSetWriter.write(tmp.resolve("b"), 3, 21, id -> { });
        for (String file : new String[] {SceneSetWriter.INSTANCES, SceneSetWriter.CAPTIONS, SceneSetWriter.QUESTIONS,
                "images/000000000002.png"}) {
            assertArrayEquals(Files.readAllBytes(tmp.resolve("a").resolve(file)),
                    Files.readAllBytes(tmp.resolve("b").resolve(file)), file);
        }
    }
}
