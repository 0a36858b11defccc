package org.vlmscope.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.vlmscope.core.BadArgumentException;
import org.vlmscope.core.Directories;
import org.vlmscope.core.ModelManifest;
import org.vlmscope.core.SafetensorsWriter.NamedTensor;
import org.vlmscope.core.VlmscopeException;
import org.vlmscope.core.vocab.GraphNames;
import org.vlmscope.core.vocab.HookName;
import org.vlmscope.experiments.ProgressListener;
import org.vlmscope.experiments.dataset.CocoFilter;
import org.vlmscope.experiments.mean.ImageFolder;
import org.vlmscope.experiments.mean.MeanVisualToken;
import org.vlmscope.experiments.run.ExperimentModel;
import org.vlmscope.experiments.scenes.Scene;
import org.vlmscope.experiments.scenes.SceneGenerator;
import org.vlmscope.experiments.scenes.SceneQuiz;
import org.vlmscope.experiments.scenes.SceneSetWriter;
import org.vlmscope.experiments.scenes.SceneTexts;
import org.vlmscope.exporter.ExportOptions;
import org.vlmscope.exporter.Exporter;
import org.vlmscope.models.OrganismCheckpoint;
import org.vlmscope.runtime.diff.ActivationDiff;
import org.vlmscope.runtime.diff.DiffReport;
import org.vlmscope.runtime.diff.DiffRow;
import org.vlmscope.runtime.input.ModelInput;
import org.vlmscope.runtime.intervene.Intervention;
import org.vlmscope.runtime.intervene.Positions;
import org.vlmscope.runtime.run.Forward;
import org.vlmscope.runtime.run.Greedy;
import org.vlmscope.runtime.session.ModelSession;
import org.vlmscope.runtime.summary.LayerSummary;
import org.vlmscope.runtime.summary.TopTokens;
import org.vlmscope.runtime.text.PromptTemplate;
import org.vlmscope.runtime.text.PromptTemplates;
import org.vlmscope.runtime.text.PromptTemplates.Fidelity;
import org.vlmscope.runtime.text.PromptTemplates.Variant;
import org.vlmscope.runtime.text.Prompts;
import org.vlmscope.runtime.text.Sequence;
import org.vlmscope.runtime.text.Tokenizer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code vlmscope demo}: the pipeline on the shipped model organism, with no download and no input. Export it,
 * draw a held-out scene set (COCO files), run the paper's dataset filter and mean visual token on it, put the
 * paper's prompts to the model and check its answers against the scenes, then look inside one scene: residual
 * stream per layer, next tokens, and what mean-ablating the visual tokens does to the answer and to each layer;
 * then the paper's three experiments and the report ({@link DemoPaper}). Each step is a method.
 */
@Command(name = "demo", mixinStandardHelpOptions = true,
        description = "Run the pipeline on the shipped model organism (a small LLaVA trained on synthetic scenes): "
                + "export it, draw held-out scenes as a COCO dataset, filter them as the paper does, compute the "
                + "mean visual token, ask the paper's description, polling and VQA prompts and check the answers; "
                + "then one scene with residual-stream hooks, and with its visual tokens mean-ablated; then the ablation "
                + "grid (Table 1), the logit lens, the knockout grid (Table 2) and the report.")
final class DemoCommand implements Callable<Integer> {
    /** Marks a work directory as the demo's own, so a rerun may delete it and nothing else. */
    static final String MARKER = ".vlmscope-demo";
    static final String EMBEDDINGS = HookName.residPre(0);
    static final List<String> HOOKS = List.of(HookName.EVERY_RESID_POST, EMBEDDINGS);
    /** Scenes drawn by default; their answers are counted. The first {@link #SHOWN} are printed question by question. */
    static final int SCENES = 64;
    static final String MEAN = "mean.safetensors";
    static final int SHOWN = 3;
    private static final int TOP_K = 5;
    private static final int NEW_TOKENS = 10;
    private static final int MEAN_BATCH = 8;

    @Option(names = "--work", paramLabel = "DIR",
            description = "Work directory, replaced on each run (default: vlmscope-demo in the system temp dir).")
    Path work = Path.of(System.getProperty("java.io.tmpdir"), "vlmscope-demo");

    @Option(names = "--scenes", paramLabel = "N", defaultValue = "" + SCENES,
            description = "Held-out scenes to draw and run the experiments on (default: ${DEFAULT-VALUE}).")
    int sceneCount;

    @Option(names = "--fidelity", paramLabel = "paper|code", converter = PromptInput.FidelityConverter.class,
            defaultValue = "paper",
            description = "The prompt template as the paper writes it or as its public code does (default: paper).")
    Fidelity fidelity;

    @Mixin
    RuntimeOptions runtime;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws IOException {
        PrintWriter out = spec.commandLine().getOut();
        replaceWorkDir(work);
        Exporter.Result exported = exportOrganism(out);
        ModelManifest m = exported.manifest();
        Path scenes = drawScenes(out);
        // The demo's fidelity throughout: the runners refuse a dataset made with another one.
        Path dataset = DemoPaper.dataset(out, work, scenes, m, fidelity, CocoFilter.ABLATION, "dataset.jsonl");
        try (Tokenizer tokenizer = Tokenizer.load(exported.modelDir());
             ModelSession session = runtime.open(exported.modelDir(), HOOKS)) {
            float[] mean = meanVisualToken(out, session, scenes);
            quiz(out, session, tokenizer, scenes);
            lookInside(out, session, tokenizer, scenes, mean);
        }
        out.println();
        try (ExperimentModel model = ExperimentModel.open(exported.modelDir(), runtime.device, runtime.threads.value(),
                fidelity)) {
            new DemoPaper(out, spec.commandLine().getErr(), work, scenes).run(model, dataset, work.resolve(MEAN));
        }
        out.flush();
        return 0;
    }

    private Exporter.Result exportOrganism(PrintWriter out) {
        long t = System.nanoTime();
        Path checkpoint = work.resolve("checkpoint");
        OrganismCheckpoint.write(checkpoint);
        Exporter.Result exported = Exporter.export(checkpoint, work.resolve("model"), ExportOptions.parse("fp32"));
        out.printf(Locale.ROOT, "== the model organism (a LLaVA-1.5-architecture model trained on synthetic scenes; "
                + "models/organism) written to %s and exported (fp32, %d tensors, %s) in %.2f s%n", checkpoint,
                exported.tensors(), Units.bytes(exported.weightBytes()), Units.secondsSince(t));
        out.println();
        InspectCommand.describeModelDir(out, exported.modelDir());
        out.println();
        return exported;
    }

    private Path drawScenes(PrintWriter out) {
        if (sceneCount < 1) {
            throw new BadArgumentException("--scenes " + sceneCount + ": expected at least 1");
        }
        long t = System.nanoTime();
        Path scenes = work.resolve("scenes");
        SceneSetWriter.Summary s = SceneSetWriter.write(scenes, sceneCount, OrganismCheckpoint.HELDOUT_SEED, id -> { });
        out.printf(Locale.ROOT, "== %d scenes (seed %d, held out from training; %d objects, %d small, %d large) "
                + "written to %s as a COCO dataset (images/, %s, %s, %s) in %.2f s%n", s.images(),
                OrganismCheckpoint.HELDOUT_SEED, s.annotations(), s.smallObjects(), s.largeObjects(), scenes,
                SceneSetWriter.INSTANCES, SceneSetWriter.CAPTIONS, SceneSetWriter.QUESTIONS, Units.secondsSince(t));
        return scenes;
    }

    private float[] meanVisualToken(PrintWriter out, ModelSession session, Path scenes) {
        long t = System.nanoTime();
        MeanVisualToken.Result r = MeanVisualToken.compute(session,
                ImageFolder.list(scenes.resolve(SceneSetWriter.IMAGES)), MEAN_BATCH, ProgressListener.NONE);
        Path file = work.resolve(MEAN);
        MeanVisualToken.write(r, file, Map.of("images", scenes.resolve(SceneSetWriter.IMAGES).toString()));
        out.printf(Locale.ROOT, "== mean visual token over %d images (%d tokens) -> %s in %.2f s%n%n", r.images(),
                r.tokens(), file, Units.secondsSince(t));
        return r.mean();
    }

    /** The paper's prompts on every scene; the first few printed in full, then the totals. */
    private void quiz(PrintWriter out, ModelSession session, Tokenizer tokenizer, Path scenes) {
        long t = System.nanoTime();
        SceneQuiz quiz = new SceneQuiz(session, tokenizer);
        SceneGenerator generator = new SceneGenerator(OrganismCheckpoint.HELDOUT_SEED);
        int[] polling = new int[2];
        int[] vqa = new int[2];
        int[] objects = new int[2];
        for (int id = 1; id <= sceneCount; id++) {
            Scene scene = generator.scene(id);
            NamedTensor pixels = ModelInput.pixelValues(session.dir(),
                    scenes.resolve(SceneSetWriter.IMAGES).resolve(scene.fileName()));
            List<SceneQuiz.Answer> answers = new ArrayList<>();
            SceneQuiz.Answer description = quiz.describe(scene, pixels);
            answers.add(description);
            List<SceneQuiz.Answer> polls = quiz.poll(scene, pixels, OrganismCheckpoint.HELDOUT_SEED);
            List<SceneQuiz.Answer> vqas = quiz.vqa(scene, pixels);
            answers.addAll(polls);
            answers.addAll(vqas);
            count(polling, polls);
            count(vqa, vqas);
            objects[0] += SceneQuiz.namedObjects(scene, description.answer());
            objects[1] += scene.objects().size();
            if (id <= SHOWN) {
                out.printf("== scene %s (%dx%d): %s%n", scene.fileName(), scene.width(), scene.height(),
                        SceneTexts.description(scene));
                for (SceneQuiz.Answer a : answers) {
                    out.printf("   %-8s %s -> %s (expected %s) %s%n", a.task(), PromptTemplate.quote(a.prompt()),
                            PromptTemplate.quote(a.answer()), PromptTemplate.quote(a.expected()),
                            a.correct() ? "right" : "WRONG");
                }
            }
        }
        out.printf(Locale.ROOT, "== answers on all %d scenes (%.1f s): polling %s, descriptions name %s of the "
                + "objects, VQA %s%n", sceneCount, Units.secondsSince(t), share(polling), share(objects), share(vqa));
        out.printf("   (chance is about 50%% for polling and 12%% for the others; the organism's held-out accuracies are in "
                + "models/organism/README.md)%n%n");
    }

    private static void count(int[] tally, List<SceneQuiz.Answer> answers) {
        tally[0] += (int) answers.stream().filter(SceneQuiz.Answer::correct).count();
        tally[1] += answers.size();
    }

    private static String share(int[] tally) {
        return String.format(Locale.ROOT, "%d/%d (%.0f%%)", tally[0], tally[1], 100.0 * tally[0] / tally[1]);
    }

    /**
     * Scene 1's first polling question through the graphs with residual-stream hooks: a per-layer summary, the
     * next tokens, the answer; then the same with every visual token replaced by the mean visual token.
     */
    private void lookInside(PrintWriter out, ModelSession session, Tokenizer tokenizer, Path scenes, float[] mean) {
        ModelManifest m = session.manifest();
        Scene scene = new SceneGenerator(OrganismCheckpoint.HELDOUT_SEED).scene(1);
        Path image = scenes.resolve(SceneSetWriter.IMAGES).resolve(scene.fileName());
        NamedTensor pixels = ModelInput.pixelValues(session.dir(), image);
        String question = SceneTexts.polling(scene, OrganismCheckpoint.HELDOUT_SEED).get(0).question();
        PromptTemplate template = PromptTemplates.forModel(m, Variant.GENERATIVE, fidelity);
        Sequence prompt = Prompts.build(tokenizer, template, question, m);
        long[][] ids = {prompt.ids()};
        out.printf("== inside scene %s: image through %s -> pixel_values %s; %s -> %d positions, visual tokens "
                + "%s (a %dx%d grid)%n", scene.fileName(), ModelInput.PREPROCESSOR_CONFIG,
                Arrays.toString(pixels.shape()), PromptTemplate.quote(template.render(question)), prompt.length(),
                Positions.format(prompt.visualPositions()), m.dims().gridSize(), m.dims().gridSize());

        long t = System.nanoTime();
        Map<String, NamedTensor> clean = Forward.run(session, pixels, ids);
        out.printf(Locale.ROOT, "== forward pass on %s: hooks %s, %.2f s%n", session.provider(),
                String.join(" ", HOOKS), Units.secondsSince(t));
        List<float[]> residuals = new ArrayList<>();
        residuals.add(clean.get(EMBEDDINGS).toFloatArray());
        for (int i = 0; i < m.dims().layers(); i++) {
            residuals.add(clean.get(HookName.residPost(i)).toFloatArray());
        }
        out.print(LayerSummary.format(LayerSummary.compute(residuals, m.dims().dModel(),
                LayerSummary.visualPositions(prompt.ids(), m.imageTokenId()))));
        int vocab = m.dims().vocab();
        out.printf("%n== top-%d next tokens at the final position (id (logit)): %s%n", TOP_K,
                TopTokens.format(TopTokens.of(clean.get(GraphNames.LOGITS).toFloatArray(), prompt.lastPosition() * vocab,
                        vocab, TOP_K)));
        answer(out, "answer", session, tokenizer, pixels, ids, List.of());

        int[] visual = prompt.visualPositions();
        List<Intervention> ablation = List.of(new Intervention.Ablation(visual, mean));
        out.printf("%n== mean ablation: the LM input embeddings at visual tokens %s replaced by the mean visual "
                + "token%n", Positions.format(visual));
        Map<String, NamedTensor> ablated = Forward.run(session, pixels, ids, ablation, null);
        answer(out, "answer with the image ablated", session, tokenizer, pixels, ids, ablation);
        List<DiffRow> rows = new ArrayList<>();
        for (int i = 0; i < m.dims().layers(); i++) {
            rows.add(ActivationDiff.compare(HookName.residPost(i), clean.get(HookName.residPost(i)).toFloatArray(),
                    ablated.get(HookName.residPost(i)).toFloatArray()));
        }
        out.println("== per-layer diff of the residual stream, ablated against clean:");
        out.print(DiffReport.format(rows, "table"));
    }

    /** Greedy decoding with the KV cache, printed as ids and as the tokenizer decodes them. */
    private static void answer(PrintWriter out, String label, ModelSession session, Tokenizer tokenizer,
                               NamedTensor pixels, long[][] ids, List<Intervention> interventions) {
        long t = System.nanoTime();
        Greedy.Generation g = Greedy.run(session, pixels, ids, NEW_TOKENS,
                new HashSet<>(session.manifest().eosTokenIds()), interventions);
        long[] tokens = g.tokens()[0];
        out.printf(Locale.ROOT, "== %s (greedy with the KV cache, %d tokens: %s; %.2f s): %s%n", label,
                tokens.length, Arrays.stream(tokens).mapToObj(Long::toString).collect(Collectors.joining(" ")),
                Units.secondsSince(t), PromptTemplate.quote(tokenizer.decode(tokens, true)));
    }

    /** Empties {@code dir} for a new run, refusing a directory that holds files the demo did not make. */
    static void replaceWorkDir(Path dir) throws IOException {
        if (Files.exists(dir)) {
            boolean empty;
            try (Stream<Path> entries = Files.list(dir)) {
                empty = entries.findAny().isEmpty();
            }
            if (!empty && !Files.exists(dir.resolve(MARKER))) {
                throw new VlmscopeException(dir + " is not empty and was not made by 'vlmscope demo'; "
                        + "choose another --work directory");
            }
            Directories.deleteRecursively(dir);
        }
        Files.createDirectories(dir);
        Files.createFile(dir.resolve(MARKER));
    }
}
