package org.vlmscope.experiments.report;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.vlmscope.core.VlmscopeException;
import org.vlmscope.experiments.records.AblationRecord;
import org.vlmscope.experiments.records.Answer;
import org.vlmscope.experiments.records.ExperimentRun;
import org.vlmscope.experiments.records.FilterRecord;
import org.vlmscope.experiments.records.ResultsFolder;
import org.vlmscope.experiments.records.RunManifest;
import org.vlmscope.experiments.records.Shard;

class ReportTest {
    @TempDir
    Path tmp;

    @Test
    void writesTheTablesPlotsViewerAndIndexOfAllThreeExperiments() throws Exception {
        Path out = tmp.resolve("report");
        Report.Summary summary = Report.write(ReportFixtures.allExperiments(tmp, 40, 30, 9), out);

        for (String name : List.of("index.html", "table1.md", "table1.csv", "ablation.png", "ablation.svg",
                "table2.md", "table2.csv", "knockout.png", "knockout.svg", "lens.md", "lens-layers.csv", "lens.png",
                "lens.svg", "viewer/index.html", "viewer/lens0.html", "viewer/lens1.html")) {
            assertTrue(summary.files().contains(out.resolve(name)), name + " not in " + summary.files());
            assertTrue(Files.size(out.resolve(name)) > 0, name);
        }
        BufferedImage png = ImageIO.read(out.resolve("knockout.png").toFile());
        assertEquals(Charts.WIDTH, png.getWidth());
        assertTrue(Files.readString(out.resolve("ablation.svg")).contains("<svg"));
        // 18 sets x 3 tasks, plus the header
        assertEquals(1 + 18 * 3, Files.readAllLines(out.resolve("table1.csv")).size());
        assertEquals(1 + 6 * 6, Files.readAllLines(out.resolve("table2.csv")).size());
        assertEquals(1 + 9, Files.readAllLines(out.resolve("lens-layers.csv")).size());
        try (var leftovers = Files.list(out)) {
            assertTrue(leftovers.noneMatch(p -> p.getFileName().toString().startsWith(".")), "temp files left");
        }
    }

    @Test
    void theViewerPageCarriesTheRecordsOwnGridAndEscapesTokens() throws Exception {
        Path lens = tmp.resolve("lens");
        ReportFixtures.lens(lens, 5);
        Path out = tmp.resolve("report");
        Report.write(List.of(lens), out);
        String page = Files.readString(out.resolve("viewer/lens0.html"));
        assertTrue(page.contains("\"rows\":12,\"cols\":12"), "12x12 grid expected in the page data");
        assertTrue(Files.readString(out.resolve("viewer/lens1.html")).contains("\"rows\":24,\"cols\":24"));
        // The only </script> closing tags are the page's own two: the token "</script>" is escaped.
        assertEquals(2, page.split("</script>", -1).length - 1);
        assertTrue(page.contains("\\u003c/script>"));
        assertTrue(page.contains("src=\"data:image/png;base64,"));
    }

    private static AblationRecord object(String image, String task, boolean base, boolean after) {
        Answer a = new Answer("x", List.of(1L));
        return new AblationRecord(image, "dog", task, "object", 4, List.of(0, 1, 2, 3), base, after, a, a);
    }

    private static FilterRecord filter(String image, boolean passes) {
        Answer a = new Answer("x", List.of(1L));
        return new FilterRecord(image, "dog", a, a, true, !passes, a, a);
    }

    @Test
    void table1CellsShowTheDecreaseItsIntervalAndItsDenominator() throws Exception {
        Path dir = tmp.resolve("hand");
        try (ExperimentRun run = ExperimentRun.open(dir, ReportFixtures.ablationManifest())) {
            run.append(filter("A", true));
            run.append(filter("B", true));
            run.append(filter("C", false));
            run.append(object("A", "generative", true, false));
            run.append(object("B", "generative", true, true));
            run.append(object("C", "generative", true, false));
        }
        Path out = tmp.resolve("report");
        Report.write(List.of(dir), out);
        // 1 of the 2 filtered images correct at baseline lost the object: 50%, Wilson 95% [9.45, 90.55].
        String md = Files.readString(out.resolve("table1.md"));
        assertTrue(md.contains("| Object (4.0) | 50.00 [9.5, 90.5] (1/2) |"), md);
        assertTrue(md.contains("pass it (1 fail, 0 have no filter record)"), md);
        List<String> csv = Files.readAllLines(out.resolve("table1.csv"));
        assertEquals("set,label,mean_tokens,task,baseline_correct,became_incorrect,decrease_percent,ci95_lower,"
                + "ci95_upper", csv.get(0));
        assertTrue(csv.get(1).startsWith("object,Object,4,generative,2,1,50,9.4531"), csv.get(1));
    }

    @Test
    void shardsMergeToTheTablesOfOneRun() throws Exception {
        Path whole = tmp.resolve("whole");
        ReportFixtures.ablation(whole, 40, Shard.ALL);
        List<Path> shards = List.of(tmp.resolve("s0"), tmp.resolve("s1"), tmp.resolve("s2"));
        for (int k = 0; k < 3; k++) {
            ReportFixtures.ablation(shards.get(k), 40, new Shard(k, 3));
        }
        Report.write(List.of(whole), tmp.resolve("one"));
        Report.write(shards, tmp.resolve("merged"));
        for (String name : List.of("table1.md", "table1.csv")) {
            assertEquals(Files.readString(tmp.resolve("one").resolve(name)),
                    Files.readString(tmp.resolve("merged").resolve(name)), name);
        }
        // The same folder twice repeats every record identically: merged, not an error.
        var one = ResultsFolder.read(whole);
        assertEquals(one.records(), MergedRun.merge(List.of(one, ResultsFolder.read(whole))).get(0).records());
    }

    @Test
    void aConflictingDuplicateIsAnError() throws Exception {
        Path a = tmp.resolve("a");
        Path b = tmp.resolve("b");
        try (ExperimentRun run = ExperimentRun.open(a, ReportFixtures.ablationManifest())) {
            run.append(object("A", "vqa", true, false));
        }
        try (ExperimentRun run = ExperimentRun.open(b, ReportFixtures.ablationManifest())) {
            run.append(object("A", "vqa", true, true));
        }
        VlmscopeException e = assertThrows(VlmscopeException.class, () -> Report.write(List.of(a, b),
                tmp.resolve("report")));
        assertTrue(e.getMessage().startsWith("conflicting records for ablation|A|vqa|object in " + a), e.getMessage());
    }

    @Test
    void aFolderOfAnotherRunIsAnErrorNamingWhatDiffers() throws Exception {
        Path paper = tmp.resolve("paper");
        Path code = tmp.resolve("code");
        ReportFixtures.ablation(paper, 2, Shard.ALL);
        RunManifest m = ReportFixtures.ablationManifest();
        ExperimentRun.open(code, new RunManifest(m.format(), m.experiment(), m.modelPath(), m.modelFingerprint(),
                m.inputs(), "code", m.seed(), m.options(), m.versions())).close();
        VlmscopeException e = assertThrows(VlmscopeException.class, () -> Report.write(List.of(paper, code),
                tmp.resolve("report")));
        assertTrue(e.getMessage().contains(code + " holds another run than " + paper), e.getMessage());
        assertTrue(e.getMessage().contains("fidelity: paper vs code"), e.getMessage());
    }

    @Test
    void aFolderWithoutRunJsonIsAnError() throws Exception {
        Files.createDirectories(tmp.resolve("empty"));
        VlmscopeException e = assertThrows(VlmscopeException.class, () -> Report.write(List.of(tmp.resolve("empty")),
                tmp.resolve("report")));
        assertEquals(tmp.resolve("empty") + ": not a results folder (no run.json)", e.getMessage());
        e = assertThrows(VlmscopeException.class, () -> Report.write(List.of(tmp.resolve("missing")),
                tmp.resolve("report")));
        assertTrue(e.getMessage().contains("no such directory"), e.getMessage());
    }

    @Test
    void aSidecarOfAnotherGridIsAnErrorAndAMissingOneToo() throws Exception {
        Path lens = tmp.resolve("lens");
        ReportFixtures.lens(lens, 3);
        Files.copy(lens.resolve("lens/lens1.json"), lens.resolve("lens/lens0.json"),
                java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        VlmscopeException e = assertThrows(VlmscopeException.class, () -> Report.write(List.of(lens),
                tmp.resolve("report")));
        assertTrue(e.getMessage().contains("lens/lens0.json (image lens1, 24x24 grid, 3 layers) does not belong to "
                + "the record of image lens0 (12x12, 3 layers)"), e.getMessage());
        Files.delete(lens.resolve("lens/lens0.json"));
        e = assertThrows(VlmscopeException.class, () -> Report.write(List.of(lens), tmp.resolve("report")));
        assertTrue(e.getMessage().startsWith("the lens sidecar lens/lens0.json is in none of"), e.getMessage());
    }

    @Test
    void anUnknownExperimentIsAnError() throws Exception {
        ExperimentRun.open(tmp.resolve("x"), ReportFixtures.manifest("attribution", java.util.Map.of())).close();
        VlmscopeException e = assertThrows(VlmscopeException.class, () -> Report.write(List.of(tmp.resolve("x")),
                tmp.resolve("report")));
        assertTrue(e.getMessage().contains("names the experiment 'attribution'; the report knows ablation, "
                + "knockout and logit-lens"), e.getMessage());
    }
}
