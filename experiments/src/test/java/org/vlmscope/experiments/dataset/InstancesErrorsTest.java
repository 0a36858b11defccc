package org.vlmscope.experiments.dataset;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.vlmscope.core.VlmscopeException;
import org.vlmscope.experiments.ProgressListener;
import org.vlmscope.runtime.text.PromptTemplates.Fidelity;

/** Bad instances files: each refused with one message naming the file, the record and what was expected. */
class InstancesErrorsTest {
    @TempDir
    Path dir;

    @Test
    void notJson() throws IOException {
        fails(Files.writeString(dir.resolve("a.json"), "{\"images\": [ {\"id\": 1,, }"), "not valid JSON",
                "line 1");
    }

    @Test
    void notAnObject() throws IOException {
        fails(Files.writeString(dir.resolve("a.json"), "[1, 2]"), "not a COCO instances file", "found a list");
    }

    @Test
    void missingKeys() throws IOException {
        fails(Files.writeString(dir.resolve("a.json"), "{\"annotations\": [], \"categories\": []}"),
                "has no 'images' key");
        fails(Files.writeString(dir.resolve("a.json"), "{\"images\": [], \"categories\": []}"),
                "has no 'annotations' key");
    }

    @Test
    void annotationWithUnknownImage() {
        CocoJson coco = base();
        long id = coco.polygons(7, 1, 1500, CocoJson.square(0, 0, 5, 5));
        fails(coco.write(dir.resolve("a.json")), "annotation " + id, "image_id 7", "'images' does not list");
    }

    @Test
    void annotationWithUnknownCategory() {
        CocoJson coco = base();
        long id = coco.polygons(1, 42, 1500, CocoJson.square(0, 0, 5, 5));
        fails(coco.write(dir.resolve("a.json")), "annotation " + id, "category_id 42", "'categories' does not list");
    }

    @Test
    void segmentationNeitherPolygonsNorRle() {
        CocoJson coco = base();
        long id = coco.annotation(1, 1, 1500, 0, "\"a string\"", "[0, 0, 1, 1]");
        fails(coco.write(dir.resolve("a.json")), "annotation " + id, "neither polygons", "nor RLE");
        CocoJson nested = base();
        long id2 = nested.annotation(1, 1, 1500, 0, "[[\"x\", \"y\"]]", "[0, 0, 1, 1]");
        fails(nested.write(dir.resolve("b.json")), "annotation " + id2, "neither polygons");
        CocoJson object = base();
        long id3 = object.annotation(1, 1, 1500, 1, "{\"size\": [40, 40]}", "[0, 0, 1, 1]");
        fails(object.write(dir.resolve("c.json")), "annotation " + id3, "neither polygons");
    }

    @Test
    void rleThatDoesNotFillItsSize() {
        CocoJson coco = base();
        long id = coco.crowd(1, 1, 1500, "{\"counts\": [0, 5, 10], \"size\": [40, 40]}");
        fails(coco.write(dir.resolve("a.json")), "annotation " + id, "add up to 15", "1600");
    }

    @Test
    void negativeArea() {
        CocoJson coco = base();
        long id = coco.polygons(1, 1, -3, CocoJson.square(0, 0, 5, 5));
        fails(coco.write(dir.resolve("a.json")), "annotation " + id, "area -3.0", "non-negative");
    }

    @Test
    void missingFieldAndWrongType() throws IOException {
        Path file = Files.writeString(dir.resolve("a.json"), "{\"images\": [{\"id\": 1, \"file_name\": \"a.jpg\", "
                + "\"width\": 10}], \"annotations\": [], \"categories\": []}");
        fails(file, "image 1", "no 'height'");
        Path typed = Files.writeString(dir.resolve("b.json"), "{\"images\": [{\"id\": \"one\", \"file_name\": "
                + "\"a.jpg\", \"width\": 10, \"height\": 10}], \"annotations\": [], \"categories\": []}");
        fails(typed, "element 0 of 'images'", "id a string", "expected an integer");
    }

    @Test
    void missingFile() {
        fails(dir.resolve("absent.json"), "does not exist");
    }

    private static CocoJson base() {
        CocoJson coco = new CocoJson().category(1, "person");
        coco.image(1, 40, 40);
        return coco;
    }

    private void fails(Path file, String... named) {
        VlmscopeException e = assertThrows(VlmscopeException.class, () -> CocoDataset.build(file,
                new CocoDataset.Options(CocoFilter.ABLATION, ImageGeometry.LLAVA_1_5, Fidelity.PAPER, null),
                dir.resolve("out.jsonl"), ProgressListener.NONE));
        String message = e.getMessage();
        assertTrue(message.contains(file.toString()), message);
        for (String n : named) {
            assertTrue(message.contains(n), "'" + n + "' not in: " + message);
        }
        assertFalse(message.contains("\n"), message);
        assertFalse(Files.exists(dir.resolve("out.jsonl")), "a failed build left an output file");
    }
}
