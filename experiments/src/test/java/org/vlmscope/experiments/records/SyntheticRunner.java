package org.vlmscope.experiments.records;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * A stand-in for the ablation runner without a model, written the way a real runner uses {@link ExperimentRun}:
 * per image a filter record and one ablation record per task x set, whose content is a pure function of the seed
 * and the coordinates (so any interleaving of kills and resumes must end in the same records). Also the child
 * process of {@link KillAndResumeTest}: {@code main(dir, images, shard, microsPerRecord)}.
 */
final class SyntheticRunner {
    static final List<String> TASKS = List.of("generative", "polling", "vqa");
    static final List<String> SETS = List.of("object", "object+1", "random-5", "ig-10");
    static final long SEED = 7;

    private SyntheticRunner() {
    }

    static RunManifest manifest() {
        return new RunManifest(RunManifest.FORMAT, "ablation", "/models/synthetic", "sha256:synthetic",
                Map.of("dataset", new InputFile("/data/synthetic.jsonl", "00ff")), "paper", SEED,
                Map.of("tasks", String.join(",", TASKS), "sets", String.join(",", SETS), "filter", "hallucination"),
                Map.of("vlmscope", "test"));
    }

    static List<String> dataset(int images) {
        List<String> ids = new ArrayList<>();
        for (int i = 0; i < images; i++) {
            ids.add(Integer.toString(100_000 + 37 * i));
        }
        return ids;
    }

    static List<String> keysOf(String imageId) {
        List<String> keys = new ArrayList<>();
        keys.add(ExperimentRecord.key(FilterRecord.KIND, imageId));
        for (String task : TASKS) {
            for (String set : SETS) {
                keys.add(ExperimentRecord.key(AblationRecord.KIND, imageId, task, set));
            }
        }
        return keys;
    }

    /** Runs the selection of {@code images} synthetic images into {@code dir}, resuming what is there. */
    static void run(Path dir, int images, WorkSelection selection, long microsPerRecord) throws IOException {
        try (ExperimentRun run = ExperimentRun.open(dir, manifest())) {
            ExperimentRun.Plan<String> plan = run.plan(dataset(images), selection, SyntheticRunner::keysOf);
            for (WorkUnit<String> unit : plan.remaining()) {
                for (ExperimentRecord record : recordsOf(unit.item())) {
                    if (!run.isDone(record.key())) {
                        busyWait(microsPerRecord);
                        run.append(record);
                    }
                }
            }
        }
    }

    static List<ExperimentRecord> recordsOf(String imageId) {
        Random random = new Random(SEED * 1_000_003L + imageId.hashCode());
        List<ExperimentRecord> records = new ArrayList<>();
        boolean clean = random.nextInt(10) < 8;
        records.add(new FilterRecord(imageId, "dog", new Answer("A dog on a sofa.", List.of(319L, 11203L)),
                new Answer(clean ? "A sofa." : "A dog.", List.of(319L)), true, !clean,
                new Answer("Yes", List.of(3869L)), new Answer("No", List.of(1939L))));
        for (String task : TASKS) {
            for (String set : SETS) {
                int n = 1 + random.nextInt(12);
                List<Integer> positions = new ArrayList<>();
                for (int i = 0; i < n; i++) {
                    positions.add(random.nextInt(576));
                }
                boolean base = random.nextInt(10) < 9;
                boolean after = base && random.nextBoolean();
                records.add(new AblationRecord(imageId, "dog", task, set, n, positions, base, after,
                        new Answer(base ? "A dog, \"quoted\"\nand \u00e9" : "A cat", List.of(1L, 2L)),
                        new Answer(after ? "dog" : "sofa", List.of(3L))));
            }
        }
        return records;
    }

    private static void busyWait(long micros) {
        long end = System.nanoTime() + micros * 1000;
        while (System.nanoTime() < end) {
            Thread.onSpinWait();
        }
    }

    public static void main(String[] args) throws IOException {
        Shard shard = Shard.parse(args[2], Map.of());
        run(Path.of(args[0]), Integer.parseInt(args[1]), new WorkSelection(shard, java.util.OptionalInt.empty()),
                Long.parseLong(args[3]));
    }
}
