package org.vlmscope.experiments.run;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.vlmscope.experiments.dataset.DatasetRecord;
import org.vlmscope.experiments.dataset.VqaSet;
import org.vlmscope.experiments.metrics.SuccessRules;
import org.vlmscope.experiments.records.Answer;
import org.vlmscope.experiments.records.ExperimentRecord;
import org.vlmscope.experiments.records.ExperimentRun;
import org.vlmscope.experiments.records.KnockoutRecord;
import org.vlmscope.experiments.records.RunManifest;
import org.vlmscope.experiments.records.WorkUnit;
import org.vlmscope.runtime.image.VisionInput;
import org.vlmscope.runtime.image.ImageDecoder;
import org.vlmscope.runtime.intervene.Intervention;
import org.vlmscope.runtime.run.Forward;
import org.vlmscope.runtime.run.PreparedPrompt;
import org.vlmscope.runtime.text.PromptTemplates.Variant;
import org.vlmscope.runtime.text.Sequence;

/**
 * The attention-knockout experiment (Table 2): per curated image, its first question ({@link VqaQuestions}), the
 * VQA prompt's next token clean and with each scenario's edges blocked in each layer window, one
 * {@link KnockoutRecord} per scenario and window with the correct token's probability before and after. Images wrong at baseline are run
 * too (their records say {@code baseline_correct: false}, which Table 2 leaves out), so every record holds what
 * was measured.
 */
public final class KnockoutRunner {
    static final String TASK = "knockout";

    /** The questions and their images. */
    public record Inputs(Path questions, Path images) {
    }

    /** The layer windows; {@code windowSpec} is what the options record ("early,mid" or "sliding-10"). */
    public record Settings(List<LayerWindow> windows, String windowSpec) {
        public Settings {
            windows = List.copyOf(windows);
        }
    }

    private KnockoutRunner() {
    }

    public static RunContext.Summary run(ExperimentModel model, Inputs inputs, Settings settings, RunContext context)
            throws IOException {
        long started = System.nanoTime();
        List<VqaSet.Question> questions = VqaQuestions.firstPerImage(inputs.questions());
        Map<Long, ObjectToken> objects = new LinkedHashMap<>();
        for (WorkUnit<VqaSet.Question> u : context.selection().select(questions)) {
            objects.put(u.item().imageId(), ExperimentImages.check(u.item().image(), inputs.questions(),
                    inputs.images(), model));
        }
        Map<String, String> options = new LinkedHashMap<>();
        options.put("windows", settings.windowSpec());
        options.put(VqaQuestions.OPTION, VqaQuestions.FIRST_PER_IMAGE);
        RunManifest manifest = context.manifest(RunManifest.KNOCKOUT, model, Map.of("vqa", inputs.questions()),
                options);
        int appended = 0;
        try (ExperimentRun run = ExperimentRun.open(context.results(), manifest)) {
            ExperimentRun.Plan<VqaSet.Question> plan = run.plan(questions, context.selection(),
                    q -> keysOf(q, settings.windows()));
            int total = plan.selected().size();
            int done = plan.resumed();
            context.progress().report(TASK, done, total);
            for (WorkUnit<VqaSet.Question> unit : plan.remaining()) {
                VqaSet.Question q = unit.item();
                VisionInput pixels = model.pixels(ImageDecoder.read(inputs.images().resolve(q.image().file())));
                Sequence seq = model.prompt(Variant.VQA, q.question(), pixels);
                List<Cell> todo = new ArrayList<>();
                for (KnockoutScenario s : KnockoutScenario.values()) {
                    for (LayerWindow w : settings.windows()) {
                        if (!run.isDone(key(q.imageId(), s, w))) {
                            todo.add(new Cell(s, w));
                        }
                    }
                }
                for (KnockoutRecord r : measure(model, pixels, seq, q.question(), q.image(),
                        objects.get(q.imageId()), todo)) {
                    run.append(r);
                    appended++;
                }
                context.progress().report(TASK, ++done, total);
            }
            return new RunContext.Summary(total, plan.resumed(), appended, (System.nanoTime() - started) / 1e9);
        }
    }

    /** One scenario in one window. */
    public record Cell(KnockoutScenario scenario, LayerWindow window) {
    }

    /**
     * The records of one image's question: the clean next token once, then each cell's knocked-out next token.
     * The correct token is the object's first sub-word; correctness follows the model's fidelity.
     */
    public static List<KnockoutRecord> measure(ExperimentModel model, VisionInput pixels, Sequence seq,
                                               String question, DatasetRecord image, ObjectToken object,
                                               List<Cell> cells) {
        List<KnockoutRecord> out = new ArrayList<>();
        if (cells.isEmpty()) {
            return out;
        }
        // The vision and embed graphs run once; each condition runs the decoder alone, from the first layer of
        // its window: the clean run keeps the residual stream entering each window, which a knockout leaves as is.
        int[] starts = cells.stream().mapToInt(c -> c.window().first()).filter(l -> l > 0).distinct().toArray();
        try (PreparedPrompt prepared = PreparedPrompt.of(model.session(), pixels, new long[][] {seq.ids()})) {
            PromptProbe.NextToken clean = PromptProbe.nextOf(prepared.runKeeping(Forward.Logits.LAST, starts));
            Answer cleanAnswer = AblationTask.next(model, clean.token());
            boolean cleanCorrect = SuccessRules.vqa(model.fidelity(), cleanAnswer, object.text(), object.id());
            for (Cell c : cells) {
                out.add(knockedRecord(model, prepared, seq, question, image, object, c, clean, cleanAnswer,
                        cleanCorrect));
            }
        }
        return out;
    }

    private static KnockoutRecord knockedRecord(ExperimentModel model, PreparedPrompt prepared, Sequence seq,
                                                String question, DatasetRecord image, ObjectToken object, Cell c,
                                                PromptProbe.NextToken clean, Answer cleanAnswer,
                                                boolean cleanCorrect) {
        int[] from = c.scenario().from(seq, image);
        int[] to = c.scenario().to(seq);
        List<Intervention> knockout = List.of(new Intervention.Knockout(from, to, c.window().layers()));
        PromptProbe.NextToken knocked = PromptProbe.nextOf(c.window().first() > 0
                ? prepared.runFrom(c.window().first(), knockout, Forward.Logits.LAST)
                : prepared.run(knockout, null, Forward.Logits.LAST));
        Answer knockedAnswer = AblationTask.next(model, knocked.token());
        return new KnockoutRecord(Long.toString(image.imageId()), question, image.object(),
                c.scenario().label(), c.window().name(), c.window().first(), c.window().last(), from.length,
                to.length, cleanCorrect, SuccessRules.vqa(model.fidelity(), knockedAnswer, object.text(),
                object.id()), clean.probability(object.id()), knocked.probability(object.id()), cleanAnswer,
                knockedAnswer);
    }

    private static List<String> keysOf(VqaSet.Question q, List<LayerWindow> windows) {
        List<String> keys = new ArrayList<>();
        for (KnockoutScenario s : KnockoutScenario.values()) {
            for (LayerWindow w : windows) {
                keys.add(key(q.imageId(), s, w));
            }
        }
        return keys;
    }

    private static String key(long imageId, KnockoutScenario s, LayerWindow w) {
        return ExperimentRecord.key(KnockoutRecord.KIND, Long.toString(imageId), s.label(), w.name());
    }
}
