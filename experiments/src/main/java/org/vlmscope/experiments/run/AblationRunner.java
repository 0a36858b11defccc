package org.vlmscope.experiments.run;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.vlmscope.core.BadArgumentException;
import org.vlmscope.core.VectorFile;
import org.vlmscope.core.VlmscopeException;
import org.vlmscope.experiments.dataset.DatasetFile;
import org.vlmscope.experiments.dataset.DatasetRecord;
import org.vlmscope.experiments.dataset.NoiseMask;
import org.vlmscope.experiments.records.AblationRecord;
import org.vlmscope.experiments.records.Answer;
import org.vlmscope.experiments.records.ExperimentRecord;
import org.vlmscope.experiments.records.ExperimentRun;
import org.vlmscope.experiments.records.FilterRecord;
import org.vlmscope.experiments.records.RunManifest;
import org.vlmscope.experiments.records.WorkUnit;
import org.vlmscope.runtime.image.VisionInput;
import org.vlmscope.runtime.attribution.IntegratedGradients;
import org.vlmscope.runtime.image.ImageDecoder;
import org.vlmscope.runtime.image.RgbImage;
import org.vlmscope.runtime.intervene.Intervention;
import org.vlmscope.runtime.run.ImageFeatures;
import org.vlmscope.runtime.run.PreparedPrompt;
import org.vlmscope.runtime.text.PromptTemplates.Fidelity;
import org.vlmscope.runtime.text.Sequence;

/**
 * The ablation experiment (Table 1): per kept dataset image, for each task its clean baseline once, then each
 * token set replaced by the mean vector on the prefill, one {@link AblationRecord} per task and set; with the
 * hallucination filter on, one {@link FilterRecord} per image (its clean description is the generative baseline).
 * Work for an image is done only for records the results folder lacks, so a resumed run redoes nothing. The vision
 * tower runs once per image (and once for its noise-masked crop), and a task's sets run as the rows of one batch.
 */
public final class AblationRunner {
    static final String TASK = "ablation";
    /** Integrated gradients' path points (EXPERIMENTS.md: linspace(0, 1, 50)). */
    static final int IG_STEPS = 50;

    /** The ablation's inputs: the dataset, its images, the mean vector, and the curated questions (or null). */
    public record Inputs(Path dataset, Path images, Path mean, Path vqa) {
    }

    /**
     * What changes the records: tasks, sets, whether the hallucination filter runs, the generative answer limit;
     * {@code batch} (rows per decoder call: integrated-gradients points, or the ablation sets of one prompt) only
     * changes speed.
     */
    public record Settings(List<AblationTask> tasks, List<String> sets, boolean filter, int generationLimit,
                           int batch) {
        public Settings {
            if (generationLimit < 1 || batch < 1) {
                throw new BadArgumentException("the generation limit and the batch must be at least 1");
            }
            tasks = List.copyOf(tasks);
            sets = List.copyOf(sets);
        }

        Map<String, String> options() {
            Map<String, String> o = new LinkedHashMap<>();
            o.put("tasks", String.join(",", tasks.stream().map(AblationTask::label).toList()));
            o.put("sets", String.join(",", sets));
            o.put(RunManifest.FILTER_OPTION, filter ? "hallucination" : "none");
            o.put("max_new_tokens", Integer.toString(generationLimit));
            return o;
        }
    }

    /** A kept image with its object's first sub-word and its VQA question (null when it has none). */
    record Item(DatasetRecord record, ObjectToken object, String question) {
        String id() {
            return Long.toString(record.imageId());
        }
    }

    private final ExperimentModel model;
    private final Inputs inputs;
    private final Settings settings;
    private final RunContext context;
    private final float[] mean;
    private final long yesToken;
    private final long gradientTarget;

    private AblationRunner(ExperimentModel model, Inputs inputs, Settings settings, RunContext context) {
        this.model = model;
        this.inputs = inputs;
        this.settings = settings;
        this.context = context;
        this.mean = VectorFile.read(inputs.mean().toString(), model.manifest().dims().dModel());
        long[] yes = model.tokenizer().encode("Yes", false);
        if (yes.length == 0) {
            throw new VlmscopeException("the model's tokenizer writes \"Yes\" as no token; polling needs it");
        }
        this.yesToken = yes[0];
        // Code fidelity's target is encode("Yes")[0], which for Llama is BOS (EXPERIMENTS.md).
        this.gradientTarget = model.fidelity() == Fidelity.CODE ? model.tokenizer().encode("Yes")[0] : yesToken;
    }

    public static RunContext.Summary run(ExperimentModel model, Inputs inputs, Settings settings, RunContext context)
            throws IOException {
        return new AblationRunner(model, inputs, settings, context).run();
    }

    private RunContext.Summary run() throws IOException {
        long started = System.nanoTime();
        List<Item> items = items();
        Map<String, Path> files = new LinkedHashMap<>();
        files.put("dataset", inputs.dataset());
        files.put("mean", inputs.mean());
        Map<String, String> options = settings.options();
        if (inputs.vqa() != null) {
            files.put("vqa", inputs.vqa());
            options.put(VqaQuestions.OPTION, VqaQuestions.FIRST_PER_IMAGE);
        }
        RunManifest manifest = context.manifest(RunManifest.ABLATION, model, files, options);
        int appended = 0;
        try (ExperimentRun run = ExperimentRun.open(context.results(), manifest)) {
            ExperimentRun.Plan<Item> plan = run.plan(items, context.selection(), this::keysOf);
            int total = plan.selected().size();
            int done = plan.resumed();
            context.progress().report(TASK, done, total);
            for (WorkUnit<Item> unit : plan.remaining()) {
                appended += new ImageWork(unit.item(), run).run();
                context.progress().report(TASK, ++done, total);
            }
            return new RunContext.Summary(total, plan.resumed(), appended, (System.nanoTime() - started) / 1e9);
        }
    }

    /**
     * The records of one task's sets: the prompt answered with each set's visual tokens replaced by {@code mean} on
     * the prefill ({@code visual.get(i)} for {@code sets.get(i)}), {@code batch} sets per decoder call, each judged
     * against the clean {@code baseline} of the same prompt.
     */
    public static List<AblationRecord> ablate(ExperimentModel model, ImageFeatures image, AblationTask.Prompt prompt,
                                              String imageId, String object, List<String> sets, List<int[]> visual,
                                              float[] mean, AblationTask.Outcome baseline, int batch) {
        Sequence seq = prompt.sequence();
        List<List<Intervention>> conditions = visual.stream().map(v -> List.<Intervention>of(
                new Intervention.Ablation(Arrays.stream(v).map(seq::position).toArray(), mean))).toList();
        List<AblationTask.Outcome> ablated = AblationTask.answers(model, image, prompt, conditions, batch);
        List<AblationRecord> out = new ArrayList<>();
        for (int i = 0; i < sets.size(); i++) {
            int[] v = visual.get(i);
            out.add(new AblationRecord(imageId, object, prompt.task().label(), sets.get(i), v.length,
                    Arrays.stream(v).boxed().toList(), baseline.correct(), ablated.get(i).correct(),
                    baseline.answer(), ablated.get(i).answer()));
        }
        return out;
    }

    /** The kept images, each checked (only those the selection covers, so a bad record elsewhere waits its turn). */
    private List<Item> items() {
        List<DatasetRecord> kept = DatasetFile.read(inputs.dataset()).stream().filter(DatasetRecord::kept).toList();
        Map<Long, String> questions = inputs.vqa() == null ? Map.of()
                : VqaQuestions.firstPerImage(inputs.vqa(), kept, inputs.dataset());
        List<Item> items = new ArrayList<>();
        List<WorkUnit<DatasetRecord>> selected = context.selection().select(kept);
        Map<Long, ObjectToken> objects = new LinkedHashMap<>();
        for (WorkUnit<DatasetRecord> u : selected) {
            objects.put(u.item().imageId(), ExperimentImages.check(u.item(), inputs.dataset(), inputs.images(), model));
        }
        for (DatasetRecord r : kept) {
            items.add(new Item(r, objects.get(r.imageId()), questions.get(r.imageId())));
        }
        return items;
    }

    private List<AblationTask> tasksOf(Item item) {
        return settings.tasks().stream().filter(t -> t != AblationTask.VQA || item.question() != null).toList();
    }

    private List<String> keysOf(Item item) {
        List<String> keys = new ArrayList<>();
        if (settings.filter()) {
            keys.add(ExperimentRecord.key(FilterRecord.KIND, item.id()));
        }
        for (AblationTask t : tasksOf(item)) {
            for (String set : settings.sets()) {
                keys.add(ExperimentRecord.key(AblationRecord.KIND, item.id(), t.label(), set));
            }
        }
        return keys;
    }

    /**
     * One image's work. What is computed once is kept here: the image's features (the vision tower runs once for
     * the clean image and once for the noise-masked one), the prompts, the baselines, the polling prompt's
     * embeddings (register tokens and integrated gradients read them) and the sets' evidence.
     */
    private final class ImageWork {
        private final Item item;
        private final ExperimentRun run;
        private final RgbImage image;
        private final VisionInput pixels;
        private final ImageFeatures features;
        private final Map<AblationTask, AblationTask.Prompt> prompts = new EnumMap<>(AblationTask.class);
        private final Map<AblationTask, AblationTask.Outcome> baselines = new EnumMap<>(AblationTask.class);
        private AblationSets.ImageEvidence evidence;

        ImageWork(Item item, ExperimentRun run) {
            this.item = item;
            this.run = run;
            this.image = ImageDecoder.read(inputs.images().resolve(item.record().file()));
            this.pixels = model.pixels(image);
            this.features = ImageFeatures.of(model.session(), pixels);
        }

        int run() throws IOException {
            int appended = 0;
            if (settings.filter() && !run.isDone(ExperimentRecord.key(FilterRecord.KIND, item.id()))) {
                run.append(filterRecord());
                appended++;
            }
            for (AblationTask task : tasksOf(item)) {
                List<String> missing = settings.sets().stream().filter(set -> !run.isDone(
                        ExperimentRecord.key(AblationRecord.KIND, item.id(), task.label(), set))).toList();
                if (missing.isEmpty()) {
                    continue;
                }
                List<int[]> visual = missing.stream().map(set -> AblationSets.positions(set, evidence())).toList();
                for (AblationRecord r : ablate(model, features, prompt(task), item.id(), item.record().object(),
                        missing, visual, mean, baseline(task), settings.batch())) {
                    run.append(r);
                    appended++;
                }
            }
            return appended;
        }

        /**
         * The filter (EXPERIMENTS.md, dataset step 5): the clean description (the generative baseline) and that of
         * the crop with noise in the object cells; polling on both is recorded and does not filter.
         */
        private FilterRecord filterRecord() {
            ImageFeatures masked = ImageFeatures.of(model.session(),
                    model.pixels(NoiseMask.apply(image, item.record(), context.seed())));
            AblationTask.Outcome clean = baseline(AblationTask.GENERATIVE);
            AblationTask.Outcome noisy = clean(masked, AblationTask.GENERATIVE);
            Answer cleanPolling = baseline(AblationTask.POLLING).answer();
            Answer noisyPolling = clean(masked, AblationTask.POLLING).answer();
            return new FilterRecord(item.id(), item.record().object(), clean.answer(), noisy.answer(),
                    clean.correct(), noisy.correct(), cleanPolling, noisyPolling);
        }

        private AblationTask.Prompt prompt(AblationTask task) {
            return prompts.computeIfAbsent(task, t -> t.prompt(model, pixels, item.object(), item.question(), yesToken,
                    settings.generationLimit()));
        }

        private AblationTask.Outcome baseline(AblationTask task) {
            return baselines.computeIfAbsent(task, t -> clean(features, t));
        }

        /** The task's answer on {@code image} without interventions. */
        private AblationTask.Outcome clean(ImageFeatures image, AblationTask task) {
            return AblationTask.answers(model, image, prompt(task), List.of(List.of()), 1).get(0);
        }

        /** The sets' evidence, computed once and only what the image's missing records need. */
        private AblationSets.ImageEvidence evidence() {
            if (evidence == null) {
                List<String> missing = settings.sets().stream().filter(this::anyTaskMissing).toList();
                Sequence polling = prompt(AblationTask.POLLING).sequence();
                DatasetRecord r = item.record();
                boolean norms = AblationSets.needsNorms(missing);
                boolean gradients = AblationSets.needsGradients(missing);
                int[] register = null;
                float[] scores = null;
                if (norms || gradients) {
                    try (PreparedPrompt prepared = PreparedPrompt.of(model.session(), features,
                            new long[][] {polling.ids()})) {
                        register = norms ? register(polling, prepared.inputsEmbeds()) : null;
                        scores = gradients ? gradientScores(polling, prepared) : null;
                    }
                }
                evidence = new AblationSets.ImageEvidence(item.id(), r.objectCells(), r.buffer1(), r.buffer2(),
                        register, scores, polling.visualTokens(), context.seed());
            }
            return evidence;
        }

        private boolean anyTaskMissing(String set) {
            return tasksOf(item).stream().anyMatch(t -> !run.isDone(ExperimentRecord.key(AblationRecord.KIND,
                    item.id(), t.label(), set)));
        }

        /** Register tokens from the norms of the prompt's LM input embeddings at the visual positions. */
        private int[] register(Sequence seq, float[] embeds) {
            int d = model.manifest().dims().dModel();
            return RegisterTokens.select(RegisterTokens.norms(embeds, seq.start(), seq.visualTokens(), d));
        }

        /**
         * Integrated gradients of the polling prompt (EXPERIMENTS.md): baseline = the visual positions set to the
         * mean vector (code: one position past the image too), alpha = linspace(0, 1, 50), score = sum of
         * |attribution| over the hidden dimension; returns the score of each visual token.
         */
        private float[] gradientScores(Sequence seq, PreparedPrompt prepared) {
            int extra = model.fidelity() == Fidelity.CODE && seq.start() + seq.visualTokens() < seq.length() ? 1 : 0;
            int[] baselinePositions = java.util.stream.IntStream.range(seq.start(),
                    seq.start() + seq.visualTokens() + extra).toArray();
            IntegratedGradients.Result r = IntegratedGradients.run(model.session(), prepared,
                    new IntegratedGradients.Baseline(mean, baselinePositions),
                    new IntegratedGradients.Target(gradientTarget, null, -1),
                    new IntegratedGradients.Options(IG_STEPS, IntegratedGradients.Rule.LINSPACE,
                            IntegratedGradients.Reduce.ABSSUM, settings.batch()));
            return Arrays.copyOfRange(r.scores(), seq.start(), seq.start() + seq.visualTokens());
        }
    }
}
