package org.vlmscope.experiments.records;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalInt;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The resume property for real: a child JVM appends records and is killed with SIGKILL at seeded random
 * moments; after several kills an uninterrupted resume must leave exactly the records of a run that was never
 * killed (nothing lost, nothing repeated, no torn line).
 */
class KillAndResumeTest {
    private static final int IMAGES = 30;
    private static final int KILLS = 6;

    @TempDir
    Path tmp;

    @Test
    void aRunKilledSeveralTimesResumesToTheRecordsOfAnUninterruptedRun() throws Exception {
        Path reference = tmp.resolve("reference");
        SyntheticRunner.run(reference, IMAGES, WorkSelection.ALL, 0);

        Path killed = tmp.resolve("killed");
        Path records = killed.resolve(RecordLog.FILE);
        Random random = new Random(20260101);
        List<Integer> linesAtKill = new ArrayList<>();
        for (int k = 0; k < KILLS; k++) {
            long before = size(records);
            Process child = startChild(killed, 3000);
            // Kill only once the child has appended something, then after a random extra delay, so every kill
            // lands mid-run at a different moment.
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            while (size(records) <= before && child.isAlive() && System.nanoTime() < deadline) {
                Thread.sleep(2);
            }
            Thread.sleep(random.nextInt(120));
            child.destroyForcibly().waitFor(30, TimeUnit.SECONDS);
            linesAtKill.add(RecordLog.scan(records, r -> { }).records());
        }
        int total = IMAGES * SyntheticRunner.keysOf("x").size();
        assertTrue(linesAtKill.get(KILLS - 1) < total, "the kills came too late to interrupt the run: "
                + linesAtKill);
        assertTrue(linesAtKill.get(0) > 0, "the first kill came before any record: " + linesAtKill);

        Process finish = startChild(killed, 0);
        assertEquals(0, finish.waitFor(120, TimeUnit.SECONDS) ? finish.exitValue() : -1,
                "the resuming run failed: " + new String(finish.getErrorStream().readAllBytes()));

        assertEquals(RecordLog.read(reference.resolve(RecordLog.FILE)).records(),
                RecordLog.read(records).records(), "records after kills at " + linesAtKill);
        assertEquals(Files.readString(reference.resolve(RunManifest.FILE)),
                Files.readString(killed.resolve(RunManifest.FILE)));
        assertTrue(Files.readString(records).endsWith("\n"));
    }

    @Test
    void twoShardsTogetherHoldTheRecordsOfOneRun() throws Exception {
        Path whole = tmp.resolve("whole");
        SyntheticRunner.run(whole, IMAGES, WorkSelection.ALL, 0);
        List<ExperimentRecord> merged = new ArrayList<>();
        for (int k = 0; k < 2; k++) {
            Path shard = tmp.resolve("shard" + k);
            SyntheticRunner.run(shard, IMAGES, new WorkSelection(new Shard(k, 2), OptionalInt.empty()), 0);
            merged.addAll(RecordLog.read(shard.resolve(RecordLog.FILE)).records());
        }
        List<ExperimentRecord> expected = RecordLog.read(whole.resolve(RecordLog.FILE)).records();
        assertEquals(expected.size(), merged.size());
        assertEquals(new java.util.HashSet<>(expected), new java.util.HashSet<>(merged));
    }

    private Process startChild(Path dir, long microsPerRecord) throws IOException {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        return new ProcessBuilder(java, "-Xmx64m", "-XX:TieredStopAtLevel=1", "-cp",
                System.getProperty("java.class.path"), SyntheticRunner.class.getName(), dir.toString(),
                Integer.toString(IMAGES), "0/1", Long.toString(microsPerRecord))
                .redirectOutput(ProcessBuilder.Redirect.DISCARD)
                .start();
    }

    private static long size(Path file) throws IOException {
        return Files.exists(file) ? Files.size(file) : 0;
    }
}
