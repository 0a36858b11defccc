package org.vlmscope.experiments.report;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.vlmscope.core.VlmscopeException;
import org.vlmscope.experiments.metrics.LensStatistics;
import org.vlmscope.experiments.metrics.Table1;
import org.vlmscope.experiments.metrics.Table2;
import org.vlmscope.experiments.records.AtomicFiles;
import org.vlmscope.experiments.records.ResultsFolder;
import org.vlmscope.experiments.records.RunManifest;

/**
 * {@code vlmscope report}: reads results folders (the shards of a run merge; runs of different experiments sit
 * side by side), computes Table 1, Table 2 and the lens statistics from their records alone, and writes the
 * tables (Markdown, CSV), the plots (PNG, SVG), the lens viewer and an {@code index.html} that ties them
 * together. Every file is written whole (temp file and rename).
 */
public final class Report {
    public static final String INDEX = "index.html";
    public static final String VIEWER = "viewer";

    /** The files written and what the reader should know (torn tails left out). */
    public record Summary(List<Path> files, List<String> notes) {
    }

    private Report() {
    }

    public static Summary write(List<Path> resultsFolders, Path out) throws IOException {
        if (resultsFolders.isEmpty()) {
            throw new VlmscopeException("no results folder to report on");
        }
        List<ResultsFolder> folders = new ArrayList<>();
        for (Path folder : resultsFolders) {
            folders.add(ResultsFolder.read(folder));
        }
        List<MergedRun> runs = MergedRun.merge(folders);
        Files.createDirectories(out);
        List<Path> files = new ArrayList<>();
        List<String> notes = new ArrayList<>();
        IndexPage index = new IndexPage();
        for (MergedRun run : runs) {
            run.tornTails().forEach(f -> notes.add(f + ": its last line was incomplete (a run killed or still "
                    + "running) and is left out"));
            index.run(run);
            switch (run.manifest().experiment()) {
                case RunManifest.ABLATION -> ablation(run, out, files, index);
                case RunManifest.KNOCKOUT -> knockout(run, out, files, index);
                case RunManifest.LOGIT_LENS -> lens(run, out, files, index);
                default -> throw new VlmscopeException(run.folders().get(0) + ": run.json names the experiment '"
                        + run.manifest().experiment() + "'; the report knows " + RunManifest.ABLATION + ", "
                        + RunManifest.KNOCKOUT + " and " + RunManifest.LOGIT_LENS);
            }
        }
        Path indexFile = out.resolve(INDEX);
        AtomicFiles.write(indexFile, index.html(notes).getBytes(StandardCharsets.UTF_8));
        files.add(indexFile);
        return new Summary(files, notes);
    }

    private static void ablation(MergedRun run, Path out, List<Path> files, IndexPage index) throws IOException {
        boolean filtered = "hallucination".equals(run.manifest().options().get(RunManifest.FILTER_OPTION));
        Table1 table = Table1.compute(run.records(), filtered);
        TextTable display = ReportTables.table1(table);
        files.add(text(out, "table1.md", "# Table 1: ablation\n\n" + filterNote(table) + "\n\n" + display.markdown()));
        files.add(text(out, "table1.csv", ReportTables.table1Csv(table).csv()));
        files.addAll(Charts.write(Charts.ablation(table), out, "ablation", Charts.WIDTH, Charts.HEIGHT));
        index.section("Table 1: ablation", "<p>" + Html.escape(filterNote(table)) + "</p>\n"
                + display.html("results") + IndexPage.figure("ablation", "Decrease against ablated tokens")
                + IndexPage.links("table1.md", "table1.csv", "ablation.svg"));
    }

    private static void knockout(MergedRun run, Path out, List<Path> files, IndexPage index) throws IOException {
        Table2 table = Table2.compute(run.records());
        TextTable accuracy = ReportTables.table2Accuracy(table);
        TextTable probability = ReportTables.table2Probability(table);
        String note = "Images correct at baseline only (n per cell); " + table.baselineIncorrectRecords()
                + " records of images wrong at baseline left out. From: O object tokens, O+k with a k-cell buffer, "
                + "I-X all visual tokens but X. To: LTP last token position, LVR last visual row.";
        files.add(text(out, "table2.md", "# Table 2: attention knockout\n\n" + note
                + "\n\n## Accuracy after blocking / at baseline [95% Wilson CI]\n\n" + accuracy.markdown()
                + "\n## Mean probability of the correct token, after / before [95% t CI]\n\n"
                + probability.markdown()));
        files.add(text(out, "table2.csv", ReportTables.table2Csv(table).csv()));
        files.addAll(Charts.write(Charts.knockoutHeatMap(table), out, "knockout", Charts.WIDTH, Charts.HEIGHT));
        index.section("Table 2: attention knockout", "<p>" + Html.escape(note) + "</p>\n"
                + "<h3>Accuracy after blocking / at baseline [95% Wilson CI]</h3>\n" + accuracy.html("results")
                + "<h3>Mean probability of the correct token, after / before [95% t CI]</h3>\n"
                + probability.html("results") + IndexPage.figure("knockout", "Knockout heat map")
                + IndexPage.links("table2.md", "table2.csv", "knockout.svg"));
    }

    private static void lens(MergedRun run, Path out, List<Path> files, IndexPage index) throws IOException {
        LensStatistics stats = LensStatistics.compute(run.records());
        TextTable summary = ReportTables.lensSummary(stats);
        files.add(text(out, "lens.md", "# Logit lens (section 4.1)\n\n" + summary.markdown()));
        files.add(text(out, "lens-layers.csv", ReportTables.lensCurveCsv(stats).csv()));
        files.addAll(Charts.write(Charts.lensCurve(stats), out, "lens", Charts.WIDTH, Charts.HEIGHT));
        files.addAll(ViewerPages.write(run.records(), run.folders(), out.resolve(VIEWER)));
        index.section("Logit lens (section 4.1)", summary.html("results")
                + IndexPage.figure("lens", "Lens fraction per layer")
                + "<p><a href=\"" + VIEWER + "/" + ViewerPages.INDEX + "\">Open the viewer</a> (one page per "
                + "image)</p>\n" + IndexPage.links("lens.md", "lens-layers.csv", "lens.svg"));
    }

    private static String filterNote(Table1 t) {
        if (!t.filtered()) {
            return "Hallucination filter off: every image counts. Cells: % decrease [95% Wilson CI] "
                    + "(became incorrect / correct at baseline).";
        }
        return "Hallucination filter on: generative and polling count the " + t.imagesPassingFilter()
                + " images that pass it (" + t.imagesFailingFilter() + " fail, " + t.imagesWithoutFilterRecord()
                + " have no filter record); VQA is the curated set and is not filtered. Cells: % decrease "
                + "[95% Wilson CI] (became incorrect / correct at baseline).";
    }

    private static Path text(Path out, String name, String content) throws IOException {
        Path file = out.resolve(name);
        AtomicFiles.write(file, content.getBytes(StandardCharsets.UTF_8));
        return file;
    }
}
