package org.vlmscope.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.vlmscope.core.SafetensorsFile;
import org.vlmscope.experiments.records.AblationRecord;
import org.vlmscope.experiments.records.ExperimentRecord;
import org.vlmscope.experiments.records.FilterRecord;
import org.vlmscope.experiments.records.KnockoutRecord;
import org.vlmscope.experiments.records.LensRecord;
import org.vlmscope.experiments.records.LensSidecars;
import org.vlmscope.experiments.records.RecordLog;

/**
 * The three experiment verbs end to end on the demo model and the generated COCO fixture (two kept images), and
 * the report over their results. Each record is checked against what {@code vlmscope run} computes for the same
 * prompt, image and intervention (answers, probabilities), or against the dataset (cells, counts).
 */
class ExperimentRunnersTest {
    /** Integrated gradients cost 50 backward passes an image: {@link #gradientSetIsTheTopOfAttribute} runs them. */
    static final String[] SETS = {"object", "object+1", "object+2", "register", "random-5", "random-10"};
    static final String QUESTION_1 = "What animal is on the right?";
    static final String QUESTION_3 = "What is in the corner?";
    /** Image 1 has two questions; the runners ask the first of each image, as the paper's set has one per image. */
    static final String SECOND_QUESTION_1 = "Which animal sits on the mat?";

    @TempDir
    static Path shared;
    static DemoModel demo;
    static CocoFixture coco;
    static Path dataset;
    static Path mean;
    static Path vqa;
    static Path ablation;
    static Cli.Result ablationRun;

    @TempDir
    Path tmp;

    @BeforeAll
    static void prepare() throws IOException {
        demo = DemoModel.write(shared);
        coco = CocoFixture.write(shared.resolve("coco"));
        dataset = shared.resolve("dataset.jsonl");
        Cli.ok("dataset", "coco", "--annotations", coco.instances().toString(), "--images", coco.images().toString(),
                "--model", demo.model().toString(), "-o", dataset.toString());
        mean = shared.resolve("mean.safetensors");
        Cli.ok("mean", demo.model().toString(), "--images", coco.images().toString(), "-o", mean.toString(),
                "--device", "cpu");
        Path questions = Files.writeString(shared.resolve("q.json"),
                "{\"1\": [\"" + QUESTION_1 + "\", \"" + SECOND_QUESTION_1 + "\"], \"3\": [\"" + QUESTION_3
                        + "\"]}");
        vqa = shared.resolve("vqa.jsonl");
        Cli.ok("dataset", "vqa", "--questions", questions.toString(), "--dataset", dataset.toString(), "-o",
                vqa.toString());
        ablation = shared.resolve("ablation");
        ablationRun = Cli.ok(ablationArgs(ablation));
    }

    static String[] ablationArgs(Path results, String... extra) {
        return ablationArgsWithSets(results, String.join(",", SETS), extra);
    }

    static String[] ablationArgsWithSets(Path results, String sets, String... extra) {
        List<String> args = new ArrayList<>(List.of("ablation", demo.model().toString(), "--dataset",
                dataset.toString(), "--images", coco.images().toString(), "--mean", mean.toString(), "--vqa",
                vqa.toString(), "--sets", sets, "--max-new-tokens", "3", "--batch", "25",
                "--device", "cpu", "-o", results.toString()));
        args.addAll(List.of(extra));
        return args.toArray(String[]::new);
    }

    @Test
    void ablationRecordsAreWhatRunComputes() throws IOException {
        assertTrue(ablationRun.out().contains("ablation: 2 images (0 resumed), 38 records appended"),
                ablationRun.toString());
        List<ExperimentRecord> records = RecordLog.read(ablation.resolve("records.jsonl")).records();
        assertEquals(2 + 2 * 3 * SETS.length, records.size());
        JsonNode image1 = datasetRecord(1);
        Path picture = coco.images().resolve("000000000001.jpg");
        int start = 4;

        AblationRecord object = ablationRecord(records, "1", "vqa", "object");
        assertEquals(ints(image1.get("object_cells")), object.positions());
        assertEquals(ints(image1.get("buffer1")), ablationRecord(records, "1", "vqa", "object+1").positions());
        assertEquals(ints(image1.get("buffer2")), ablationRecord(records, "1", "polling", "object+2").positions());
        // VQA: the next token after "It is a", clean and with the object cells mean-ablated, as `run` gives it.
        assertEquals(runAnswer(picture, QUESTION_1, true, 1), object.baselineAnswer().tokenIds());
        String cells = object.positions().stream().map(k -> Integer.toString(start + k))
                .collect(Collectors.joining(","));
        assertEquals(runAnswer(picture, QUESTION_1, true, 1, "--ablate", cells, "--ablate-with", mean.toString()),
                object.ablatedAnswer().tokenIds());
        // Generative: 3 greedy tokens of the description prompt; polling (paper): the next token.
        AblationRecord generative = ablationRecord(records, "1", "generative", "object+1");
        assertEquals(runAnswer(picture, "Describe this image.", false, 3), generative.baselineAnswer().tokenIds());
        // The ablated sets of a prompt are decoded together, as rows of one batch: each row is what `run` decodes.
        String buffer = generative.positions().stream().map(k -> Integer.toString(start + k))
                .collect(Collectors.joining(","));
        assertEquals(runAnswer(picture, "Describe this image.", false, 3, "--ablate", buffer, "--ablate-with",
                mean.toString()), generative.ablatedAnswer().tokenIds());
        AblationRecord polling = ablationRecord(records, "1", "polling", "object");
        assertEquals(runAnswer(picture, "Is there a cat in this image?", false, 1),
                polling.baselineAnswer().tokenIds());
        // The filter's clean description is the generative baseline; the demo's random model never says "cat".
        FilterRecord filter = (FilterRecord) records.stream()
                .filter(r -> r.key().equals(ExperimentRecord.key(FilterRecord.KIND, "1"))).findFirst().orElseThrow();
        assertEquals(generative.baselineAnswer(), filter.cleanDescription());
        assertEquals(polling.baselineAnswer(), filter.cleanPolling());
        assertEquals(3, filter.maskedDescription().tokenIds().size());

        // Register tokens: visual norms of the LM input embeddings above mean + 2 std (unbiased), from run's hook.
        Path cache = tmp.resolve("embeds.safetensors");
        Cli.ok("run", demo.model().toString(), "--image", picture.toString(), "--prompt",
                "Is there a cat in this image?", "--hooks", "blocks.0.hook_resid_pre", "--cache", cache.toString(),
                "--device", "cpu");
        assertEquals(expectedRegister(cache, start), ablationRecord(records, "1", "vqa", "register").positions());

        for (String task : List.of("generative", "polling", "vqa")) {
            AblationRecord random = ablationRecord(records, "3", task, "random-5");
            assertEquals(5, random.nTokens());
            assertEquals(5, random.positions().stream().distinct().filter(k -> k >= 0 && k < 576).count());
            // One draw per image and set, shared by the tasks.
            assertEquals(ablationRecord(records, "3", "vqa", "random-5").positions(), random.positions());
            assertEquals(10, ablationRecord(records, "3", task, "random-10").positions().stream().distinct().count());
        }
    }

    /**
     * ig-N: the N visual tokens with the largest integrated-gradients scores of the polling prompt toward "Yes",
     * baseline the mean vector at the visual positions, linspace(0, 1, 50), |attribution| summed; as `attribute`
     * computes them.
     */
    @Test
    void gradientSetIsTheTopOfAttribute() throws IOException {
        Path results = tmp.resolve("ig");
        Cli.ok(ablationArgsWithSets(results, "ig-5,ig-20", "--limit", "1", "--tasks", "polling", "--filter", "none"));
        List<ExperimentRecord> records = RecordLog.read(results.resolve("records.jsonl")).records();
        Path scores = tmp.resolve("ig.safetensors");
        Cli.ok("attribute", demo.model().toString(), "--image", coco.images().resolve("000000000001.jpg").toString(),
                "--prompt", "Is there a cat in this image?", "--target", Long.toString(firstSubword("Yes")),
                "--steps", "50", "--rule", "linspace", "--reduce", "abssum", "--baseline", mean.toString(),
                "--batch", "25", "--device", "cpu", "-o", scores.toString());
        float[] all;
        try (SafetensorsFile f = SafetensorsFile.open(scores)) {
            all = f.toFloatArray("ig.scores");
        }
        float[] visual = Arrays.copyOfRange(all, 4, 4 + 576);
        for (int n : new int[] {5, 20}) {
            List<Integer> top = IntStream.range(0, 576).boxed().sorted((a, b) -> Float.compare(visual[b], visual[a]))
                    .limit(n).sorted().toList();
            assertEquals(top, ablationRecord(records, "1", "polling", "ig-" + n).positions(), "ig-" + n);
        }
    }

    /**
     * A runner killed with SIGKILL between units (after the first image's records, before the second's) resumes to
     * exactly the records of the uninterrupted run.
     */
    @Test
    void aKilledAblationResumesToTheRecordsOfAnUninterruptedRun() throws Exception {
        Path results = tmp.resolve("killed");
        Path records = results.resolve("records.jsonl");
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        List<String> command = new ArrayList<>(List.of(java, "-Xmx512m", "-cp",
                System.getProperty("java.class.path"), Main.class.getName()));
        command.addAll(List.of(ablationArgs(results)));
        Path log = tmp.resolve("child.log");
        Process child = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        int perImage = 1 + 3 * SETS.length;
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
        while (lines(records) < perImage && child.isAlive() && System.nanoTime() < deadline) {
            Thread.sleep(5);
        }
        child.destroyForcibly().waitFor(30, TimeUnit.SECONDS);
        int atKill = lines(records);
        assertTrue(atKill >= perImage && atKill < 2 * perImage, () -> "the kill did not land between the images: "
                + atKill + " records; exit " + child.exitValue() + ", the child said:\n" + readQuietly(log) + "\n"
                + command);

        Cli.Result resumed = Cli.ok(ablationArgs(results));
        assertTrue(resumed.out().contains("2 images (1 resumed)"), resumed.toString());
        assertEquals(RecordLog.read(ablation.resolve("records.jsonl")).records(),
                RecordLog.read(records).records());
    }

    private static String readQuietly(Path file) {
        try {
            return Files.readString(file);
        } catch (IOException e) {
            return e.toString();
        }
    }

    private static int lines(Path file) throws IOException {
        return Files.exists(file) ? (int) Files.readString(file).chars().filter(c -> c == '\n').count() : 0;
    }

    @Test
    void rerunningResumesAndAnotherRunsFolderIsRefused() throws IOException {
        String before = Files.readString(ablation.resolve("records.jsonl"));
        Cli.Result again = Cli.ok(ablationArgs(ablation));
        assertTrue(again.out().contains("2 images (2 resumed), 0 records appended"), again.toString());
        Cli.failsWith(Cli.run(ablationArgs(ablation, "--seed", "9")), "different run", "seed: 0 vs 9");
        Cli.failsWith(Cli.run(ablationArgs(ablation, "--fidelity", "code")), "image 1 was made with --fidelity paper",
                "this run is code");
        assertEquals(before, Files.readString(ablation.resolve("records.jsonl")));
    }

    @Test
    void knockoutRecordsAreWhatRunComputes() throws IOException {
        Path results = tmp.resolve("knockout");
        Cli.Result r = Cli.ok("knockout", demo.model().toString(), "--dataset", vqa.toString(), "--images",
                coco.images().toString(), "--windows", "early,all", "--device", "cpu", "-o", results.toString());
        assertTrue(r.out().contains("knockout: 2 questions (0 resumed), 24 records appended"), r.toString());
        List<ExperimentRecord> records = RecordLog.read(results.resolve("records.jsonl")).records();
        JsonNode image1 = datasetRecord(1);
        KnockoutRecord all = (KnockoutRecord) records.stream()
                .filter(x -> x.key().equals(ExperimentRecord.key(KnockoutRecord.KIND, "1", "O->last", "all")))
                .findFirst().orElseThrow();
        // One question per image, the first: the second question of image 1 is not asked (nor counted above).
        assertEquals(QUESTION_1, all.question());
        assertEquals("first-per-image", option(results, "vqa_questions"));
        assertEquals("first-per-image", option(ablation, "vqa_questions"));
        assertEquals(image1.get("object_cells").size(), all.nFrom());
        assertEquals(1, all.nTo());
        assertEquals(0, all.firstLayer());
        int layers = (int) readManifestLayers();
        assertEquals(layers - 1, all.lastLayer());
        Path picture = coco.images().resolve("000000000001.jpg");
        long objectToken = firstSubword("cat");
        Path clean = tmp.resolve("clean.safetensors");
        Cli.ok("run", demo.model().toString(), "--image", picture.toString(), "--prompt", QUESTION_1, "--vqa",
                "--cache", clean.toString(), "--device", "cpu");
        assertEquals(lastProbability(clean, objectToken), all.pBefore(), 1e-6);
        String from = ints(image1.get("object_cells")).stream().map(k -> Integer.toString(4 + k))
                .collect(Collectors.joining(","));
        int last = lastPosition(clean);
        Path knocked = tmp.resolve("knocked.safetensors");
        Cli.ok("run", demo.model().toString(), "--image", picture.toString(), "--prompt", QUESTION_1, "--vqa",
                "--knockout", from + ":" + last + "@0-" + (layers - 1), "--cache", knocked.toString(),
                "--device", "cpu");
        assertEquals(lastProbability(knocked, objectToken), all.pAfter(), 1e-6);
        assertFalse(all.pBefore() == all.pAfter(), "the knockout changed nothing");
        KnockoutRecord lvr = (KnockoutRecord) records.stream()
                .filter(x -> x.key().equals(ExperimentRecord.key(KnockoutRecord.KIND, "3", "I-lvr->lvr", "early")))
                .findFirst().orElseThrow();
        assertEquals(24, lvr.nTo());
        assertEquals(576 - 24, lvr.nFrom());

        // Two shards hold the records of the whole run, and their merged report has the whole run's Table 2.
        List<Path> shards = new ArrayList<>();
        for (String shard : List.of("0/2", "1/2")) {
            Path folder = tmp.resolve("shard" + shard.charAt(0));
            Cli.ok("knockout", demo.model().toString(), "--dataset", vqa.toString(), "--images",
                    coco.images().toString(), "--windows", "early,all", "--device", "cpu", "-o", folder.toString(),
                    "--shard", shard);
            shards.add(folder);
        }
        List<ExperimentRecord> merged = new ArrayList<>();
        for (Path folder : shards) {
            merged.addAll(RecordLog.read(folder.resolve("records.jsonl")).records());
        }
        assertEquals(new java.util.HashSet<>(records), new java.util.HashSet<>(merged));
        assertEquals(records.size(), merged.size());
        Cli.ok("report", results.toString(), "-o", tmp.resolve("whole-report").toString());
        Cli.ok("report", shards.get(0).toString(), shards.get(1).toString(), "-o",
                tmp.resolve("shard-report").toString());
        assertEquals(Files.readString(tmp.resolve("whole-report/table2.csv")),
                Files.readString(tmp.resolve("shard-report/table2.csv")));
    }

    @Test
    void logitLensRecordsCountTheSidecarsTopTokensAndTheReportReadsAllThree() throws IOException {
        Path results = tmp.resolve("lens");
        Cli.Result r = Cli.ok("logit-lens", demo.model().toString(), "--dataset", dataset.toString(), "--images",
                coco.images().toString(), "--match", "prefix,casefold,strip-marker", "--device", "cpu", "-o",
                results.toString());
        assertTrue(r.out().contains("logit-lens: 2 images (0 resumed), 2 records appended"), r.toString());
        List<ExperimentRecord> records = RecordLog.read(results.resolve("records.jsonl")).records();
        LensRecord lens = (LensRecord) records.get(0);
        assertEquals(24, lens.gridRows());
        assertEquals(readManifestLayers() + 1, lens.layerFractions().size());
        var sidecar = LensSidecars.read(results, lens.sidecar());
        assertTrue(Files.isRegularFile(results.resolve(sidecar.image())));
        // By hand: the share of object cells whose top-1 token is a case-folded prefix of the target.
        String target = lens.target().replace("\u2581", "").toLowerCase();
        for (int layer = 0; layer < lens.layerFractions().size(); layer++) {
            int l = layer;
            long hits = lens.objectCells().stream().map(c -> sidecar.tokens().get(c).get(l).get(0)
                    .replace("\u2581", "").strip().toLowerCase()).filter(t -> !t.isEmpty() && target.startsWith(t))
                    .count();
            assertEquals((double) hits / lens.objectCells().size(), lens.layerFractions().get(layer), 1e-12);
        }
        // run.json says how the final norm was applied: once (paper); twice at the last layer (the paper's code).
        assertEquals("once", option(results, "final_norm"));
        Path codeDataset = tmp.resolve("code-dataset.jsonl");
        Cli.ok("dataset", "coco", "--annotations", coco.instances().toString(), "--images", coco.images().toString(),
                "--model", demo.model().toString(), "--fidelity", "code", "-o", codeDataset.toString());
        Path codeLens = tmp.resolve("code-lens");
        Cli.ok("logit-lens", demo.model().toString(), "--dataset", codeDataset.toString(), "--images",
                coco.images().toString(), "--fidelity", "code", "--limit", "1", "--device", "cpu", "-o",
                codeLens.toString());
        assertEquals("twice at the last layer", option(codeLens, "final_norm"));

        Path knockout = tmp.resolve("knockout");
        Cli.ok("knockout", demo.model().toString(), "--dataset", vqa.toString(), "--images",
                coco.images().toString(), "--sliding", "2", "--device", "cpu", "-o", knockout.toString(), "--limit",
                "1");
        Path report = tmp.resolve("report");
        Cli.ok("report", ablation.toString(), knockout.toString(), results.toString(), "-o", report.toString());
        for (String file : List.of("index.html", "table1.md", "table2.md", "lens.md")) {
            assertTrue(Files.isRegularFile(report.resolve(file)), file);
        }
        assertTrue(Files.readString(report.resolve("table1.md")).contains("Object"));
    }

    @Test
    void badInputIsOneLineAndLeavesEarlierRecordsIntact() throws IOException {
        Path results = tmp.resolve("bad");
        Cli.ok(ablationArgsWithSets(results, "object", "--limit", "1", "--tasks", "vqa"));
        String before = Files.readString(results.resolve("records.jsonl"));

        Path noCells = Files.writeString(tmp.resolve("nocells.jsonl"),
                Files.readString(dataset).replaceFirst(",\"object_cells\":\\[[0-9,]*\\]", ""));
        Cli.failsWith(Cli.run("ablation", demo.model().toString(), "--dataset", noCells.toString(), "--images",
                coco.images().toString(), "--mean", mean.toString(), "--device", "cpu", "-o", results.toString()),
                "image 1 has no object cells");

        Path unwritable = Files.writeString(tmp.resolve("cjk.jsonl"),
                Files.readString(dataset).replaceFirst("\"object\":\"cat\"", "\"object\":\"\u732b\""));
        Cli.failsWith(Cli.run("logit-lens", demo.model().toString(), "--dataset", unwritable.toString(), "--images",
                coco.images().toString(), "--device", "cpu", "-o", results.toString()),
                "image 1", "cannot express the object name");

        Path images = Files.createDirectories(tmp.resolve("images"));
        Files.copy(coco.images().resolve("000000000001.jpg"), images.resolve("000000000001.jpg"));
        Cli.failsWith(Cli.run("knockout", demo.model().toString(), "--dataset", vqa.toString(), "--images",
                images.toString(), "--device", "cpu", "-o", results.toString()), "image 3", "000000000003.png",
                "is not in " + images);

        Path strayQuestion = Files.writeString(tmp.resolve("stray.jsonl"),
                Files.readString(vqa).replaceFirst("\"image_id\":1,", "\"image_id\":99,"));
        Cli.failsWith(Cli.run("ablation", demo.model().toString(), "--dataset", dataset.toString(), "--images",
                coco.images().toString(), "--mean", mean.toString(), "--vqa", strayQuestion.toString(), "--device",
                "cpu", "-o", results.toString()), "the question about image 99 has no kept image in " + dataset);

        Path otherGrid = Files.writeString(tmp.resolve("grid12.jsonl"),
                Files.readString(dataset).replace("\"grid\":24", "\"grid\":12"));
        Cli.failsWith(Cli.run("logit-lens", demo.model().toString(), "--dataset", otherGrid.toString(), "--images",
                coco.images().toString(), "--device", "cpu", "-o", results.toString()),
                "image 1 was made for a 12x12 token grid, but the model has 24x24");

        Cli.failsWith(Cli.run("knockout", demo.model().toString(), "--dataset", vqa.toString(), "--images",
                coco.images().toString(), "--device", "cpu", "-o", results.toString()), "different run",
                "experiment: ablation vs knockout");
        assertEquals(before, Files.readString(results.resolve("records.jsonl")));
    }

    private static AblationRecord ablationRecord(List<ExperimentRecord> records, String image, String task,
            String set) {
        String key = ExperimentRecord.key(AblationRecord.KIND, image, task, set);
        return (AblationRecord) records.stream().filter(r -> r.key().equals(key)).findFirst()
                .orElseThrow(() -> new AssertionError("no record " + key));
    }

    /** The answer ids `vlmscope run` prints for a question about a picture. */
    static List<Long> runAnswer(Path picture, String question, boolean vqa, int tokens, String... extra) {
        List<String> args = new ArrayList<>(List.of("run", demo.model().toString(), "--image", picture.toString(),
                "--prompt", question, "--max-new-tokens", Integer.toString(tokens), "--device", "cpu"));
        if (vqa) {
            args.add("--vqa");
        }
        args.addAll(List.of(extra));
        Cli.Result r = Cli.ok(args.toArray(String[]::new));
        Matcher m = Pattern.compile("answer \\(\\d+ tokens: ([0-9 ]+)\\)").matcher(r.out());
        assertTrue(m.find(), r.toString());
        return Arrays.stream(m.group(1).trim().split(" ")).map(Long::parseLong).toList();
    }

    private static List<Integer> expectedRegister(Path cache, int start) {
        try (SafetensorsFile f = SafetensorsFile.open(cache)) {
            float[] embeds = f.toFloatArray("blocks.0.hook_resid_pre");
            int d = embeds.length / (int) f.info("blocks.0.hook_resid_pre").shape()[1];
            double[] norms = new double[576];
            for (int k = 0; k < 576; k++) {
                double s = 0;
                for (int j = 0; j < d; j++) {
                    s += Math.pow(embeds[(start + k) * d + j], 2);
                }
                norms[k] = Math.sqrt(s);
            }
            double m = Arrays.stream(norms).average().orElseThrow();
            double var = Arrays.stream(norms).map(v -> (v - m) * (v - m)).sum() / 575;
            double threshold = m + 2 * Math.sqrt(var);
            return IntStream.range(0, 576).filter(k -> norms[k] > threshold).boxed().toList();
        }
    }

    private static double lastProbability(Path cache, long token) {
        try (SafetensorsFile f = SafetensorsFile.open(cache)) {
            float[] logits = f.toFloatArray("logits");
            long[] shape = f.info("logits").shape();
            int vocab = (int) shape[2];
            int offset = (int) ((shape[1] - 1) * vocab);
            double max = Double.NEGATIVE_INFINITY;
            for (int i = 0; i < vocab; i++) {
                max = Math.max(max, logits[offset + i]);
            }
            double sum = 0;
            for (int i = 0; i < vocab; i++) {
                sum += Math.exp(logits[offset + i] - max);
            }
            return Math.exp(logits[offset + (int) token] - max) / sum;
        }
    }

    private static long firstSubword(String word) {
        try (var tokenizer = org.vlmscope.runtime.text.Tokenizer.load(demo.model())) {
            return tokenizer.encode(word, false)[0];
        }
    }

    private static int lastPosition(Path cache) {
        try (SafetensorsFile f = SafetensorsFile.open(cache)) {
            return (int) f.info("logits").shape()[1] - 1;
        }
    }

    /** An option of a results folder's run.json. */
    private static String option(Path results, String name) throws IOException {
        return new ObjectMapper().readTree(results.resolve("run.json").toFile()).path("options").path(name).asText();
    }

    private static long readManifestLayers() {
        return org.vlmscope.core.ModelManifest.read(demo.model()).dims().layers();
    }

    private static JsonNode datasetRecord(long imageId) throws IOException {
        for (String line : Files.readAllLines(dataset)) {
            JsonNode n = new ObjectMapper().readTree(line);
            if (n.get("image_id").asLong() == imageId) {
                return n;
            }
        }
        throw new AssertionError("no dataset record " + imageId);
    }

    private static List<Integer> ints(JsonNode array) {
        List<Integer> out = new ArrayList<>();
        array.forEach(n -> out.add(n.asInt()));
        return out;
    }
}
