package org.vlmscope.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.vlmscope.core.ModelManifest;
import org.vlmscope.experiments.ProgressListener;
import org.vlmscope.experiments.dataset.CocoDataset;
import org.vlmscope.experiments.dataset.CocoFilter;
import org.vlmscope.experiments.dataset.DatasetSummary;
import org.vlmscope.experiments.dataset.ImageGeometry;
import org.vlmscope.experiments.dataset.VqaSet;
import org.vlmscope.experiments.metrics.TokenMatchRule;
import org.vlmscope.experiments.records.WorkSelection;
import org.vlmscope.experiments.report.Report;
import org.vlmscope.experiments.run.AblationRunner;
import org.vlmscope.experiments.run.AblationSets;
import org.vlmscope.experiments.run.AblationTask;
import org.vlmscope.experiments.run.ExperimentModel;
import org.vlmscope.experiments.run.KnockoutRunner;
import org.vlmscope.experiments.run.LayerWindow;
import org.vlmscope.experiments.run.LensRunner;
import org.vlmscope.experiments.run.RunContext;
import org.vlmscope.experiments.scenes.SceneSetWriter;
import org.vlmscope.experiments.scenes.SceneVqaQuestions;
import org.vlmscope.runtime.text.PromptTemplates.Fidelity;

/**
 * The demo's second half: the paper in miniature on the scene set. The datasets of the ablation and the logit lens,
 * the curated questions, the ablation grid (Table 1), the logit lens with its viewer, the knockout grid (Table 2)
 * and the report, each through the same library calls as its verb; then the tables printed.
 */
final class DemoPaper {
    static final String RESULTS = "results";
    static final String ABLATION = "ablation";
    static final String LENS = "logit-lens";
    static final String KNOCKOUT = "knockout";
    static final String REPORT = "report";
    /**
     * Generative answers are cut at this many tokens instead of the paper's 200: the organism's descriptions take
     * at most 13, and an answer that runs on (no EOS) would cost 200 decoding steps for every one of 19 sets.
     */
    static final int GENERATION_LIMIT = 24;
    private static final int IG_BATCH = 25;
    private static final String LENS_MATCH = "exact,casefold,strip-marker";
    private static final String WINDOWS = "early,early-mid,mid,mid-late,late,all";

    private final PrintWriter out;
    private final PrintWriter err;
    private final Path work;
    private final Path scenes;

    DemoPaper(PrintWriter out, PrintWriter err, Path work, Path scenes) {
        this.out = out;
        this.err = err;
        this.work = work;
        this.scenes = scenes;
    }

    /** Everything after the quiz: datasets, the three experiments on {@code model}, the report. */
    void run(ExperimentModel model, Path ablationDataset, Path mean) throws IOException {
        Path images = scenes.resolve(SceneSetWriter.IMAGES);
        Path lensDataset = dataset(out, work, scenes, model.manifest(), model.fidelity(), CocoFilter.LENS,
                "dataset-lens.jsonl");
        Path vqa = curatedQuestions(ablationDataset);
        Path results = work.resolve(RESULTS);

        var ablation = new AblationRunner.Settings(AblationTask.parse(null), AblationSets.all(), true,
                GENERATION_LIMIT, IG_BATCH);
        out.printf(Locale.ROOT, "== ablation grid: %d sets x %s on the kept scenes (generative answers cut at %d "
                + "tokens), with the hallucination filter%n", ablation.sets().size(), ablation.tasks(), GENERATION_LIMIT);
        out.flush();
        summary(ABLATION, "images", AblationRunner.run(model, new AblationRunner.Inputs(ablationDataset, images, mean,
                vqa), ablation, context(results.resolve(ABLATION))));

        out.printf("== logit lens at every layer and position on the scenes with one large object (match %s)%n",
                LENS_MATCH);
        out.flush();
        summary(LENS, "images", LensRunner.run(model, new LensRunner.Inputs(lensDataset, images),
                TokenMatchRule.parse(LENS_MATCH), context(results.resolve(LENS))));

        int depth = model.manifest().dims().layers();
        out.printf("== attention knockout: six scenarios x windows %s of the %d layers%n", WINDOWS, depth);
        out.flush();
        summary(KNOCKOUT, "questions", KnockoutRunner.run(model, new KnockoutRunner.Inputs(vqa, images),
                new KnockoutRunner.Settings(LayerWindow.named(WINDOWS, depth), WINDOWS),
                context(results.resolve(KNOCKOUT))));

        Path report = work.resolve(REPORT);
        Report.Summary written = Report.write(List.of(results.resolve(ABLATION), results.resolve(LENS),
                results.resolve(KNOCKOUT)), report);
        written.notes().forEach(note -> out.println("note: " + note));
        for (String table : List.of("table1.md", "lens.md", "table2.md")) {
            out.println();
            out.print(Files.readString(report.resolve(table)));
        }
        out.printf("%n== report: %d files; open %s%n", written.files().size(), report.resolve(Report.INDEX));
    }

    /** The paper's dataset step on the scenes' COCO file with {@code filter}, on the model's own token grid. */
    static Path dataset(PrintWriter out, Path work, Path scenes, ModelManifest m, Fidelity fidelity, CocoFilter filter,
                        String name) {
        Path file = work.resolve(name);
        ImageGeometry geometry = ImageGeometry.of(m);
        DatasetSummary d = CocoDataset.build(scenes.resolve(SceneSetWriter.INSTANCES), new CocoDataset.Options(filter,
                geometry, fidelity, scenes.resolve(SceneSetWriter.IMAGES)), file, ProgressListener.NONE);
        out.printf(Locale.ROOT, "== dataset coco (at most %d annotations, one target of area %s, %dx%d grid): "
                + "%d of %d scenes kept -> %s%n", filter.maxAnnotations(), filter.area(), geometry.grid().side(),
                geometry.grid().side(), d.kept(), d.considered(), file);
        return file;
    }

    /** The scenes' VQA questions about each kept image's target, as clean_questions.json, then 'dataset vqa'. */
    private Path curatedQuestions(Path dataset) {
        Path questions = work.resolve("vqa-questions.json");
        SceneVqaQuestions.Summary q = SceneVqaQuestions.write(scenes.resolve(SceneSetWriter.QUESTIONS), dataset,
                questions);
        Path vqa = work.resolve("vqa.jsonl");
        VqaSet.Report r = VqaSet.build(questions, dataset, vqa);
        out.printf(Locale.ROOT, "== curated questions: %d scene questions about the targets of %d images -> %s; "
                + "dataset vqa: %d records -> %s%n", q.questions(), q.images(), questions, r.records(), vqa);
        return vqa;
    }

    private RunContext context(Path results) {
        return new RunContext(results, WorkSelection.ALL, 0, Map.of("vlmscope", Main.VERSION),
                ProgressRenderer.on(err));
    }

    private void summary(String experiment, String unit, RunContext.Summary s) {
        ExperimentOptions.print(out, experiment, unit, s, work.resolve(RESULTS).resolve(experiment));
    }
}
