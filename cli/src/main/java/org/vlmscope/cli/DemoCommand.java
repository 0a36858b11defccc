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
import org.vlmscope.runtime.input.ModelInput;
import org.vlmscope.runtime.summary.LayerSummary;
import org.vlmscope.runtime.summary.TopTokens;
import org.vlmscope.core.vocab.HookName;
import org.vlmscope.core.vocab.GraphNames;
import org.vlmscope.core.Directories;
import org.vlmscope.core.ModelManifest;
import org.vlmscope.core.SafetensorsWriter.NamedTensor;
import org.vlmscope.core.VlmscopeException;
import org.vlmscope.exporter.ExportOptions;
import org.vlmscope.exporter.Exporter;
import org.vlmscope.models.DemoCheckpoint;
import org.vlmscope.runtime.run.Forward;
import org.vlmscope.runtime.run.Greedy;
import org.vlmscope.runtime.intervene.Intervention;
import org.vlmscope.runtime.session.ModelSession;
import org.vlmscope.runtime.intervene.Positions;
import org.vlmscope.runtime.diff.ActivationDiff;
import org.vlmscope.runtime.diff.DiffReport;
import org.vlmscope.runtime.diff.DiffRow;
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
 * {@code vlmscope demo}: the whole pipeline on the shipped tiny model, with no download and no input: write the
 * checkpoint and a picture, export, inspect, run the picture and a question through preprocessing, tokenizer and
 * the graphs with hooks, summarise the residual stream, answer, then ablate the visual tokens and show how each
 * layer's residual stream moves.
 */
@Command(name = "demo", mixinStandardHelpOptions = true,
        description = "Run the whole pipeline on the shipped tiny LLaVA model: export, inspect, an image and a "
                + "question through the image processor, the tokenizer and a forward pass with residual-stream "
                + "hooks, a per-layer summary and the greedy answer; then the same with the visual tokens "
                + "mean-ablated, and a per-layer diff of the ablated run against the clean one.")
final class DemoCommand implements Callable<Integer> {
    /** Marks a work directory as the demo's own, so a rerun may delete it and nothing else. */
    static final String MARKER = ".vlmscope-demo";
    /** The question of {@link DemoCheckpoint#DEMO_PROMPT}, which the model's template turns into that prompt. */
    static final String QUESTION = "What is in this image?";
    static final String EMBEDDINGS = HookName.residPre(0);
    static final List<String> HOOKS = List.of(HookName.EVERY_RESID_POST, EMBEDDINGS);
    private static final int TOP_K = 5;
    private static final int NEW_TOKENS = 10;

    @Option(names = "--work", paramLabel = "DIR",
            description = "Work directory, replaced on each run (default: vlmscope-demo in the system temp dir).")
    Path work = Path.of(System.getProperty("java.io.tmpdir"), "vlmscope-demo");

    @Mixin
    DeviceOption device;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws IOException {
        PrintWriter out = spec.commandLine().getOut();
        replaceWorkDir(work);
        Path checkpoint = work.resolve("checkpoint");
        long t = System.nanoTime();
        DemoCheckpoint.write(checkpoint);
        Exporter.Result exported = Exporter.export(checkpoint, work.resolve("model"), ExportOptions.parse("fp32"));
        out.printf(Locale.ROOT, "== wrote the demo checkpoint to %s and exported it (fp32, %d tensors, %s) in %.2f s%n",
                checkpoint, exported.tensors(), Units.bytes(exported.weightBytes()), Units.secondsSince(t));
        out.println();
        InspectCommand.describeModelDir(out, exported.modelDir());
        out.println();

        ModelManifest m = exported.manifest();
        Path image = work.resolve("image.png");
        DemoCheckpoint.writeDemoImage(image);
        NamedTensor pixels = ModelInput.pixelValues(exported.modelDir(), image);
        try (Tokenizer tokenizer = Tokenizer.load(exported.modelDir());
             ModelSession session = ModelSession.open(exported.modelDir(), device.device, HOOKS)) {
            PromptTemplate template = PromptTemplates.forModel(m, Variant.GENERATIVE, Fidelity.PAPER);
            Sequence prompt = Prompts.build(tokenizer, template, QUESTION, m);
            long[][] ids = {prompt.ids()};
            out.printf("== image %s through %s -> pixel_values %s%n", image, ModelInput.PREPROCESSOR_CONFIG,
                    Arrays.toString(pixels.shape()));
            out.printf("== question %s in the %s template: %s -> %d positions, visual tokens %s%n",
                    PromptTemplate.quote(QUESTION), template.family(), PromptTemplate.quote(template.render(QUESTION)),
                    prompt.length(), Positions.format(prompt.visualPositions()));

            t = System.nanoTime();
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

            // Mean ablation with this one image's mean visual embedding: what the model gets to see of the
            // picture is then the same at every visual position.
            int[] visual = prompt.visualPositions();
            List<Intervention> ablation = List.of(new Intervention.Ablation(visual,
                    meanRow(residuals.get(0), visual, m.dims().dModel())));
            out.printf("%n== mean ablation: the LM input embeddings at visual tokens %s replaced by their mean%n",
                    Positions.format(visual));
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
        out.flush();
        return 0;
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

    /** The mean of rows {@code positions} of a [sequence, width] row-major array. */
    private static float[] meanRow(float[] values, int[] positions, int width) {
        double[] sum = new double[width];
        for (int p : positions) {
            for (int i = 0; i < width; i++) {
                sum[i] += values[p * width + i];
            }
        }
        float[] mean = new float[width];
        for (int i = 0; i < width; i++) {
            mean[i] = (float) (sum[i] / positions.length);
        }
        return mean;
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
