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
import org.vlmscope.core.ModelManifest;
import org.vlmscope.core.SafetensorsWriter.NamedTensor;
import org.vlmscope.core.Directories;
import org.vlmscope.core.VlmscopeException;
import org.vlmscope.exporter.ExportOptions;
import org.vlmscope.exporter.Exporter;
import org.vlmscope.models.DemoCheckpoint;
import org.vlmscope.runtime.Forward;
import org.vlmscope.runtime.Greedy;
import org.vlmscope.runtime.ImageTokens;
import org.vlmscope.runtime.ModelSession;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code vlmscope demo}: the whole pipeline on the shipped tiny model, with no download and no input: write the
 * checkpoint, export it, inspect it, run it with hooks, summarise the residual stream and generate.
 */
@Command(name = "demo", mixinStandardHelpOptions = true,
        description = "Run the whole pipeline on the shipped tiny LLaVA model: export, inspect, a forward pass "
                + "with residual-stream hooks, a per-layer summary and a greedy continuation.")
final class DemoCommand implements Callable<Integer> {
    /** Marks a work directory as the demo's own, so a rerun may delete it and nothing else. */
    static final String MARKER = ".vlmscope-demo";
    static final List<String> HOOKS = List.of("blocks.*.hook_resid_post", "blocks.0.hook_resid_pre");
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
        long[][] ids = {DemoCheckpoint.demoInputIds()};
        NamedTensor pixels = NamedTensor.ofFloats(RunCommand.PIXEL_VALUES,
                new long[] {1, 3, m.dims().imageSize(), m.dims().imageSize()}, DemoCheckpoint.demoPixelValues());
        try (ModelSession session = ModelSession.open(exported.modelDir(), device.device, HOOKS)) {
            t = System.nanoTime();
            Map<String, NamedTensor> result = Forward.run(session, pixels, ids);
            long[] expanded = ImageTokens.expand(ids[0], m.imageTokenId(), m.dims().visualTokens());
            out.printf(Locale.ROOT, "== forward pass on %s: %d positions (%d visual), hooks %s, %.2f s%n",
                    session.provider(), expanded.length, m.dims().visualTokens(), String.join(" ", HOOKS),
                    Units.secondsSince(t));
            List<float[]> residuals = new ArrayList<>();
            residuals.add(FloatData.of(result.get("blocks.0.hook_resid_pre")));
            for (int i = 0; i < m.dims().layers(); i++) {
                residuals.add(FloatData.of(result.get("blocks." + i + ".hook_resid_post")));
            }
            LayerSummary.print(out, LayerSummary.compute(residuals, m.dims().dModel(),
                    LayerSummary.visualPositions(expanded, m.imageTokenId())));

            int vocab = m.dims().vocab();
            float[] logits = FloatData.of(result.get("logits"));
            out.printf("%n== top-%d next tokens at the final position (id (logit)): %s%n", TOP_K,
                    TopTokens.format(TopTokens.of(logits, (expanded.length - 1) * vocab, vocab, TOP_K)));

            t = System.nanoTime();
            Greedy.Generation g = Greedy.run(session, pixels, ids, NEW_TOKENS, new HashSet<>(m.eosTokenIds()));
            out.printf(Locale.ROOT, "== greedy continuation with the KV cache (%d tokens, %.2f s): %s%n",
                    g.tokens()[0].length, Units.secondsSince(t),
                    Arrays.stream(g.tokens()[0]).mapToObj(Long::toString).collect(Collectors.joining(" ")));
        }
        out.flush();
        return 0;
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
