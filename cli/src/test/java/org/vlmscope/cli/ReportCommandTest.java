package org.vlmscope.cli;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.vlmscope.experiments.records.AblationRecord;
import org.vlmscope.experiments.records.Answer;
import org.vlmscope.experiments.records.ExperimentRun;
import org.vlmscope.experiments.records.InputFile;
import org.vlmscope.experiments.records.RunManifest;

class ReportCommandTest {
    @TempDir
    Path tmp;

    private Path results(String name, String fidelity) throws Exception {
        Path dir = tmp.resolve(name);
        RunManifest m = new RunManifest(RunManifest.FORMAT, RunManifest.ABLATION, "/m", "sha256:1",
                Map.of("dataset", new InputFile("/d.jsonl", "ab")), fidelity, 0, Map.of("filter", "none"), Map.of());
        Answer a = new Answer(" dog", List.of(11203L));
        try (ExperimentRun run = ExperimentRun.open(dir, m)) {
            run.append(new AblationRecord("1", "dog", "vqa", "object", 1, List.of(5), true, false, a, a));
        }
        return dir;
    }

    @Test
    void writesTheReportAndSaysWhereItIs() throws Exception {
        Path report = tmp.resolve("report");
        Cli.Result r = Cli.ok("report", results("a", "paper").toString(), "-o", report.toString());
        assertTrue(r.out().contains("open " + report.resolve("index.html")), r.toString());
        assertTrue(Files.readString(report.resolve("table1.md")).contains("100.00 [20.7, 100.0] (1/1)"));
    }

    @Test
    void aFolderOfAnotherRunIsOneLineNamingItAndWhatDiffers() throws Exception {
        Path paper = results("a", "paper");
        Path code = results("b", "code");
        Cli.failsWith(Cli.run("report", paper.toString(), code.toString(), "-o", tmp.resolve("r").toString()),
                code.toString(), "fidelity: paper vs code");
        Cli.failsWith(Cli.run("report", tmp.resolve("none").toString(), "-o", tmp.resolve("r").toString()),
                "none: not a results folder");
    }

    @Test
    void theOutputIsRequired() throws Exception {
        Cli.usageError(Cli.run("report", results("a", "paper").toString()), "-o");
    }
}
