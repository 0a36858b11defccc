package org.vlmscope.cli;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import org.vlmscope.core.DType;
import org.vlmscope.core.Directories;
import org.vlmscope.exporter.ExportOptions;
import org.vlmscope.exporter.Exporter;
import org.vlmscope.models.RandomCheckpoint;
import org.vlmscope.bench.LensOverheadBenchmark;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code vlmscope bench lens}: the cost of exposing every residual stream and of a top-5 logit lens. */
@Command(name = "lens", mixinStandardHelpOptions = true,
        description = "Time a plain decoder prefill against the same prefill with every residual stream exposed, "
                + "and with a top-5 logit lens too. Without --model, a random checkpoint with LLaVA-7B's "
                + "proportions (d_model : MLP : vocab) is generated and exported.")
final class BenchLensCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = "--model", paramLabel = "MODEL_DIR", description = "An exported model to measure instead.")
    Path model;

    @Option(names = "--gb", defaultValue = "0.2", description = "Size of the generated checkpoint (default: ${DEFAULT-VALUE}).")
    double gb;

    @Option(names = "--seq", defaultValue = "600", description = "Prefill length (default: ${DEFAULT-VALUE}).")
    int sequence;

    @Option(names = "--reps", defaultValue = "5", description = "Timed runs per variant (default: ${DEFAULT-VALUE}).")
    int repetitions;

    @Option(names = "--seed", defaultValue = "7", description = "Seed of the random input embeddings (default: ${DEFAULT-VALUE}).")
    long seed;

    @Mixin
    ThreadsOption threads;

    @Override
    public Integer call() throws Exception {
        if (model != null) {
            LensOverheadBenchmark.run(spec.commandLine().getOut(), model, sequence, repetitions, threads.value(), seed);
            return 0;
        }
        Path dir = Files.createTempDirectory("vlmscope-lens-bench");
        try {
            RandomCheckpoint.write(dir.resolve("checkpoint"), (long) (gb * 1e9), DType.BF16, Long.MAX_VALUE);
            Path exported = Exporter.export(dir.resolve("checkpoint"), dir.resolve("model"), ExportOptions.parse("fp32")).modelDir();
            LensOverheadBenchmark.run(spec.commandLine().getOut(), exported, sequence, repetitions, threads.value(), seed);
        } finally {
            Directories.deleteRecursively(dir);
        }
        spec.commandLine().getOut().flush();
        return 0;
    }
}
