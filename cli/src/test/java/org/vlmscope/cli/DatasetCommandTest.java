package org.vlmscope.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.vlmscope.runtime.image.ImageDecoder;
import org.vlmscope.runtime.image.RgbImage;

/** {@code dataset coco|vqa|mask} on the generated COCO fixture, through the real command line. */
class DatasetCommandTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path dir;

    @Test
    void cocoVqaAndMaskOnTheFixture() throws IOException {
        CocoFixture fixture = CocoFixture.write(dir);
        Path dataset = dir.resolve("dataset.jsonl");
        Cli.Result coco = Cli.ok("dataset", "coco", "--annotations", fixture.instances().toString(), "--images",
                fixture.images().toString(), "-o", dataset.toString());
        assertTrue(coco.out().contains("5 images, 2 kept"), coco.toString());
        assertTrue(coco.out().contains("rejected, more than 3 annotations: 1"), coco.toString());
        assertTrue(coco.out().contains("rejected, image file not found: 1"), coco.toString());
        List<JsonNode> records = lines(dataset);
        assertEquals(5, records.size());
        // Image 1: 96x72, crop [12, 0, 72], 3 px cells; the object (28..57, 20..49) in the crop covers rows 6-16
        // and columns 9-19.
        JsonNode first = records.get(0);
        assertTrue(first.get("kept").asBoolean());
        assertEquals("cat", first.get("object").asText());
        assertEquals("[12,0,72]", first.get("crop").toString());
        assertEquals(24, first.get("grid").asInt());
        assertEquals(121, first.get("object_cells").size());
        assertEquals(6 * 24 + 9, first.get("object_cells").get(0).asInt());
        assertEquals(16 * 24 + 19, first.get("object_cells").get(120).asInt());
        // Image 3: the crowd RLE block of 16x16 px; exact cells of 64/24 px reach column and row 5.
        assertEquals(36, records.get(2).get("object_cells").size());
        assertTrue(records.get(4).get("why").asText().startsWith("not an image"), records.get(4).toString());

        Path questions = Files.writeString(dir.resolve("q.json"),
                "{\"1\": [\"What animal is on the right?\"], \"2\": [\"What is it?\"], \"99\": [\"Where?\"]}");
        Path vqa = dir.resolve("vqa.jsonl");
        Cli.Result v = Cli.ok("dataset", "vqa", "--questions", questions.toString(), "--dataset", dataset.toString(),
                "-o", vqa.toString());
        assertTrue(v.out().contains("1 questions about 1 images"), v.toString());
        assertTrue(v.out().contains("1 ids not in the dataset: 99"), v.toString());
        assertTrue(v.out().contains("rejected by the dataset (more than 3 annotations): 2"), v.toString());
        JsonNode question = lines(vqa).get(0);
        assertEquals("What animal is on the right?", question.get("question").asText());
        assertEquals("cat", question.get("answer").asText());

        Path masks = dir.resolve("masks");
        Cli.Result m = Cli.ok("dataset", "mask", dataset.toString(), "--images", fixture.images().toString(), "-o",
                masks.toString(), "--seed", "5");
        assertTrue(m.out().contains("2 masked images written"), m.toString());
        RgbImage masked = ImageDecoder.read(masks.resolve("000000000001.png"));
        assertEquals(72, masked.width());
        assertEquals(72, masked.height());
        // Outside the object cells the crop is the picture's grey background, inside it is noise.
        assertEquals(120, masked.sample(2, 2, 0), 3);
        int grey = 0;
        for (int y = 18; y < 51; y++) {
            for (int x = 27; x < 60; x++) {
                grey += Math.abs(masked.sample(x, y, 0) - 220) < 20 ? 1 : 0;
            }
        }
        assertTrue(grey < 33 * 33 / 4, "object cells still show the object: " + grey);
    }

    @Test
    void codeFidelityUsesIntegerCells() throws IOException {
        CocoFixture fixture = CocoFixture.write(dir);
        Path dataset = dir.resolve("dataset.jsonl");
        Cli.ok("dataset", "coco", "--annotations", fixture.instances().toString(), "-o", dataset.toString(),
                "--fidelity", "code");
        // Without --images the files are not checked: image 4 and 5 are kept on their annotations alone.
        List<JsonNode> records = lines(dataset);
        assertEquals("code", records.get(2).get("fidelity").asText());
        // 2 px cells: the 16 px block covers columns and rows 0-7.
        assertEquals(64, records.get(2).get("object_cells").size());
        assertTrue(records.get(3).get("kept").asBoolean());
        // Masking then meets the missing and the non-image file: both named, the two good images written.
        Path masks = dir.resolve("masks");
        Cli.Result m = Cli.run("dataset", "mask", dataset.toString(), "--images", fixture.images().toString(), "-o",
                masks.toString());
        Cli.failsWith(m, "2 of 4 kept images could not be masked");
        assertTrue(m.out().contains("image 4 not masked: " + fixture.images().resolve("000000000004.jpg")), m.toString());
        assertTrue(m.out().contains("image 5 not masked"), m.toString());
        assertTrue(Files.exists(masks.resolve("000000000001.png")) && Files.exists(masks.resolve("000000000003.png")));
    }

    @Test
    void presetAndAreaFlags() throws IOException {
        CocoFixture fixture = CocoFixture.write(dir);
        Path dataset = dir.resolve("dataset.jsonl");
        Cli.Result r = Cli.ok("dataset", "coco", "--annotations", fixture.instances().toString(), "-o",
                dataset.toString(), "--preset", "lens", "--area", "[1000,1600]");
        // Exactly one annotation, area 1000..1600 closed: images 1 (1500), 3 (1200), 4 and 5 (1500).
        assertTrue(r.out().contains("5 images, 4 kept"), r.toString());
        assertTrue(r.out().contains("at most 1 annotations, area [1000,1600]"), r.toString());
        Cli.usageError(Cli.run("dataset", "coco", "--annotations", fixture.instances().toString(), "-o",
                dataset.toString(), "--area", "big"), "--area 'big'");
        Cli.usageError(Cli.run("dataset", "coco", "--annotations", fixture.instances().toString(), "-o",
                dataset.toString(), "--preset", "tiny"), "--preset 'tiny'");
    }

    @Test
    void badInstancesFileIsOneLine() throws IOException {
        Path bad = Files.writeString(dir.resolve("bad.json"), "{\"images\": [], \"categories\": []}");
        Path out = dir.resolve("out.jsonl");
        Cli.failsWith(Cli.run("dataset", "coco", "--annotations", bad.toString(), "-o", out.toString()),
                bad.toString(), "no 'annotations' key");
        assertFalse(Files.exists(out));
        Path notJson = Files.writeString(dir.resolve("x.json"), "images: none");
        Cli.failsWith(Cli.run("dataset", "coco", "--annotations", notJson.toString(), "-o", out.toString()),
                "not valid JSON");
    }

    private static List<JsonNode> lines(Path file) throws IOException {
        List<JsonNode> out = new ArrayList<>();
        for (String line : Files.readAllLines(file)) {
            out.add(JSON.readTree(line));
        }
        return out;
    }
}
