package org.vlmscope.experiments.records;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.vlmscope.core.VlmscopeException;

class ExperimentRunTest {
    @TempDir
    Path dir;

    private static AblationRecord record(String image, String set) {
        return new AblationRecord(image, "dog", "vqa", set, 2, List.of(3, 4), true, false,
                new Answer(" dog", List.of(11203L)), new Answer(" cat", List.of(6635L)));
    }

    @Test
    void aRecordIsOneLineInSnakeCaseWithItsKind() throws Exception {
        try (ExperimentRun run = ExperimentRun.open(dir, SyntheticRunner.manifest())) {
            run.append(record("1", "object"));
        }
        String line = Files.readString(dir.resolve(RecordLog.FILE));
        assertEquals("{\"kind\":\"ablation\",\"image_id\":\"1\",\"object\":\"dog\",\"task\":\"vqa\","
                + "\"set\":\"object\",\"n_tokens\":2,\"positions\":[3,4],\"baseline_correct\":true,"
                + "\"ablated_correct\":false,\"baseline_answer\":{\"text\":\" dog\",\"token_ids\":[11203]},"
                + "\"ablated_answer\":{\"text\":\" cat\",\"token_ids\":[6635]}}\n", line);
    }

    @Test
    void aTornLastLineIsDroppedOnResumeAndTheNextRecordStartsOnItsOwnLine() throws Exception {
        try (ExperimentRun run = ExperimentRun.open(dir, SyntheticRunner.manifest())) {
            run.append(record("1", "object"));
        }
        String whole = RecordJson.line(record("2", "object"));
        Files.writeString(dir.resolve(RecordLog.FILE), whole.substring(0, whole.length() / 2),
                StandardOpenOption.APPEND);
        ResultsFolder read = ResultsFolder.read(dir);
        assertTrue(read.tornTail());
        assertEquals(1, read.records().size());

        try (ExperimentRun run = ExperimentRun.open(dir, SyntheticRunner.manifest())) {
            assertTrue(run.tornTailDropped());
            assertTrue(run.isDone(record("1", "object").key()));
            assertFalse(run.isDone(record("2", "object").key()));
            run.append(record("2", "object"));
        }
        assertEquals(List.of(record("1", "object"), record("2", "object")),
                RecordLog.read(dir.resolve(RecordLog.FILE)).records());
    }

    @Test
    void aDamagedCompleteLineIsAnErrorNamingTheLine() throws Exception {
        try (ExperimentRun run = ExperimentRun.open(dir, SyntheticRunner.manifest())) {
            run.append(record("1", "object"));
        }
        Files.writeString(dir.resolve(RecordLog.FILE), "{\"kind\":\"ablation\",\"image_id\":\"2\"}\n",
                StandardOpenOption.APPEND);
        VlmscopeException e = assertThrows(VlmscopeException.class,
                () -> ExperimentRun.open(dir, SyntheticRunner.manifest()));
        assertTrue(e.getMessage().contains(RecordLog.FILE + ":2: not a vlmscope record"), e.getMessage());
    }

    @Test
    void resumingWithOtherOptionsIsRefusedNamingThem() throws Exception {
        ExperimentRun.open(dir, SyntheticRunner.manifest()).close();
        RunManifest m = SyntheticRunner.manifest();
        RunManifest other = new RunManifest(m.format(), m.experiment(), "/elsewhere/model", m.modelFingerprint(),
                m.inputs(), "code", m.seed(), Map.of("tasks", "vqa", "sets", m.options().get("sets"),
                "filter", "hallucination"), Map.of("vlmscope", "newer"));
        VlmscopeException e = assertThrows(VlmscopeException.class, () -> ExperimentRun.open(dir, other));
        assertTrue(e.getMessage().contains("fidelity: paper vs code"), e.getMessage());
        assertTrue(e.getMessage().contains("option tasks: generative,polling,vqa vs vqa"), e.getMessage());
        assertFalse(e.getMessage().contains("model path"), e.getMessage());
        assertFalse(e.getMessage().contains("newer"), e.getMessage());

        RunManifest sameButMoved = new RunManifest(m.format(), m.experiment(), "/elsewhere/model",
                m.modelFingerprint(), Map.of("dataset", new InputFile("/other/path.jsonl", "00ff")), m.fidelity(),
                m.seed(), m.options(), Map.of("vlmscope", "newer"));
        try (ExperimentRun run = ExperimentRun.open(dir, sameButMoved)) {
            assertEquals("/models/synthetic", run.manifest().modelPath(), "the first manifest is kept");
        }
    }

    @Test
    void aSecondWriterOfTheSameFolderIsRefused() throws Exception {
        try (ExperimentRun run = ExperimentRun.open(dir, SyntheticRunner.manifest())) {
            VlmscopeException e = assertThrows(VlmscopeException.class,
                    () -> ExperimentRun.open(dir, SyntheticRunner.manifest()));
            assertTrue(e.getMessage().contains("another vlmscope run is writing"), e.getMessage());
            run.append(record("1", "object"));
        }
        ExperimentRun.open(dir, SyntheticRunner.manifest()).close();   // the lock went with the first run
    }

    @Test
    void aDoneKeyIsNotAppendedTwice() throws Exception {
        try (ExperimentRun run = ExperimentRun.open(dir, SyntheticRunner.manifest())) {
            run.append(record("1", "object"));
            assertThrows(IllegalStateException.class, () -> run.append(record("1", "object")));
        }
        assertEquals(1, Files.readAllLines(dir.resolve(RecordLog.FILE), StandardCharsets.UTF_8).size());
    }

    @Test
    void thePlanSkipsUnitsWhoseRecordsAreAllDone() throws Exception {
        Path limited = dir.resolve("limited");
        SyntheticRunner.run(limited, 10, new WorkSelection(Shard.ALL, OptionalInt.of(3)), 0);
        try (ExperimentRun run = ExperimentRun.open(limited, SyntheticRunner.manifest())) {
            var plan = run.plan(SyntheticRunner.dataset(10), WorkSelection.ALL, SyntheticRunner::keysOf);
            assertEquals(10, plan.selected().size());
            assertEquals(3, plan.resumed());
            assertEquals(3, plan.remaining().get(0).position());
        }
    }

    @Test
    void recordsWithoutRunJsonAreNotResumed() throws Exception {
        try (ExperimentRun run = ExperimentRun.open(dir, SyntheticRunner.manifest())) {
            run.append(record("1", "object"));
        }
        Files.delete(dir.resolve(RunManifest.FILE));
        VlmscopeException e = assertThrows(VlmscopeException.class,
                () -> ExperimentRun.open(dir, SyntheticRunner.manifest()));
        assertTrue(e.getMessage().contains("has records.jsonl but no run.json"), e.getMessage());
    }
}
