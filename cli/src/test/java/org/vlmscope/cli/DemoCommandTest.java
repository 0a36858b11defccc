package org.vlmscope.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.vlmscope.experiments.run.AblationSets;

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
     * set: the totals count exactly the questions and objects of the files it wrote; and the ablation shows that
     * the trained model reads the polling answer from the object's tokens.
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
        assertObjectTokensCarryThePollingAnswer(work.resolve(DemoPaper.REPORT).resolve("table1.csv"), out);
    }

    /**
     * Issue 14's contrast, the paper's first finding on the trained organism: ablating the object's tokens with a
     * 1-cell buffer breaks at least 20 points more of the correct polling answers (Table 1's % decrease) than
     * ablating the smallest random set of at least as many tokens.
     */
    private static void assertObjectTokensCarryThePollingAnswer(Path table1Csv, String out) throws Exception {
        Map<String, double[]> polling = new HashMap<>();
        List<String> lines = Files.readAllLines(table1Csv);
        assertEquals(List.of("set", "label", "mean_tokens", "task", "baseline_correct", "became_incorrect",
                "decrease_percent", "ci95_lower", "ci95_upper"), List.of(lines.get(0).split(",")));
        for (String line : lines.subList(1, lines.size())) {
            String[] f = line.split(",");
            if (f[3].equals("polling")) {
                polling.put(f[0], new double[] {Double.parseDouble(f[2]), Double.parseDouble(f[6]),
                    Double.parseDouble(f[4])});
            }
        }
        double[] object = polling.get("object+1");
        assertTrue(object != null && object[2] >= 10, "object+1 needs at least 10 images right at baseline\n" + out);
        int randomSize = AblationSets.SIZES.stream().filter(n -> n >= object[0]).findFirst().orElseThrow();
        double[] random = polling.get("random-" + randomSize);
        assertTrue(object[1] - random[1] >= 20, String.format(Locale.ROOT, "object+1 (%.1f tokens) lowers polling "
                + "by %.1f%%, random-%d by %.1f%%%n%s", object[0], object[1], randomSize, random[1], out));
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
