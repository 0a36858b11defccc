package org.vlmscope.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DemoCommandTest {
    /** Fewer scenes than the demo's default, to keep the suite fast. */
    private static final int SCENES = 32;
    private static final Pattern LAYER_ROW = Pattern.compile(
            "(?m)^\\s+(\\d)\\s+(\\d+\\.\\d{4})\\s+(\\d+\\.\\d{4})\\s+(-?\\d\\.\\d{4})$");
    private static final Pattern DIFF_ROW = Pattern.compile(
            "(?m)^blocks\\.\\*\\.hook_resid_post\\s+(\\d)\\s+\\S+\\s+\\S+\\s+(\\S+)\\s+(\\S+)\\s*$");
    private static final Pattern TOTALS = Pattern.compile("== answers on all (\\d+) scenes \\([0-9.]+ s\\): polling "
            + "(\\d+)/(\\d+) \\(\\d+%\\), descriptions name (\\d+)/(\\d+) \\(\\d+%\\) of the objects, VQA (\\d+)/(\\d+)");

    @TempDir
    Path tmp;

    /**
     * The demo exports the organism, writes the scene set, dataset and mean, and asks every question of the scene
     * set: the totals count exactly the questions and objects of the files it wrote. (How many the shipped model
     * answers right is models/organism/README.md's business; it does not yet use the image.)
     */
    @Test
    void runsTheModelOrganismEndToEnd() throws Exception {
        Path work = tmp.resolve("work");
        Cli.Result r = Cli.ok("demo", "--work", work.toString(), "--scenes", Integer.toString(SCENES), "--device", "cpu");
        String out = r.out();
        assertTrue(Files.exists(work.resolve("model/vlmscope.json")), out);
        assertTrue(Files.exists(work.resolve("mean.safetensors")), out);
        assertEquals(SCENES, Files.readAllLines(work.resolve("dataset.jsonl")).size(), "one line per scene");
        for (String experiment : List.of(DemoPaper.ABLATION, DemoPaper.LENS, DemoPaper.KNOCKOUT)) {
            Path records = work.resolve(DemoPaper.RESULTS).resolve(experiment).resolve("records.jsonl");
            assertFalse(Files.readAllLines(records).isEmpty(), records + "\n" + out);
        }
        assertTrue(Files.exists(work.resolve(DemoPaper.REPORT).resolve("index.html")), out);
        assertTrue(out.contains("# Table 1: ablation") && out.contains("# Table 2: attention knockout")
                && out.contains("# Logit lens"), out);

        JsonNode questions = new ObjectMapper().readTree(work.resolve("scenes/questions.json").toFile()).path("images");
        int polling = 0;
        int vqa = 0;
        int objects = 0;
        for (JsonNode scene : questions) {
            polling += scene.path("polling").size();
            vqa += scene.path("vqa").size();
            objects += scene.path("objects").size();
        }
        Matcher totals = TOTALS.matcher(out);
        assertTrue(totals.find(), out);
        assertEquals(SCENES, Integer.parseInt(totals.group(1)));
        assertEquals(polling, Integer.parseInt(totals.group(3)), "polling questions");
        assertEquals(objects, Integer.parseInt(totals.group(5)), "objects");
        assertEquals(vqa, Integer.parseInt(totals.group(7)), "VQA questions");
        assertTrue(Integer.parseInt(totals.group(2)) <= polling && Integer.parseInt(totals.group(4)) <= objects
                && Integer.parseInt(totals.group(6)) <= vqa, out);

        Matcher rows = LAYER_ROW.matcher(out);
        int layer = 0;
        while (rows.find()) {
            assertEquals(layer++, Integer.parseInt(rows.group(1)), out);
        }
        assertEquals(4, layer, out);
        Matcher diff = DIFF_ROW.matcher(out);
        layer = 0;
        while (diff.find()) {
            assertEquals(layer++, Integer.parseInt(diff.group(1)), out);
            double cosine = Double.parseDouble(diff.group(3));
            assertTrue(cosine >= -1 && cosine <= 1, out);
        }
        assertEquals(4, layer, out);
        assertTrue(out.contains("== answer (greedy with the KV cache"), out);
        assertTrue(out.contains("== answer with the image ablated (greedy with the KV cache"), out);
    }

    /** Every dataset the demo builds follows its --fidelity, so the runners (which refuse a mismatch) accept them. */
    @Test
    void runsInCodeFidelity() throws Exception {
        Path work = tmp.resolve("code");
        Cli.Result r = Cli.ok("demo", "--work", work.toString(), "--scenes", "6", "--fidelity", "code", "--device", "cpu");
        assertTrue(Files.readString(work.resolve("dataset.jsonl")).contains("\"fidelity\":\"code\""), r.out());
        Path records = work.resolve(DemoPaper.RESULTS).resolve(DemoPaper.ABLATION).resolve("records.jsonl");
        assertFalse(Files.readAllLines(records).isEmpty(), r.out());
    }

    @Test
    void replacesItsOwnWorkDirectory() throws Exception {
        Path work = tmp.resolve("own");
        DemoCommand.replaceWorkDir(work);
        Files.writeString(work.resolve("leftover.txt"), "x");
        DemoCommand.replaceWorkDir(work);
        assertFalse(Files.exists(work.resolve("leftover.txt")));
        assertTrue(Files.exists(work.resolve(DemoCommand.MARKER)));
    }

    @Test
    void refusesToReplaceADirectoryItDidNotMake() throws Exception {
        Path mine = Files.createDirectories(tmp.resolve("mine"));
        Files.writeString(mine.resolve("notes.txt"), "keep me");
        Cli.failsWith(Cli.run("demo", "--work", mine.toString()), mine.toString(), "--work");
        assertEquals("keep me", Files.readString(mine.resolve("notes.txt")));
    }
}
