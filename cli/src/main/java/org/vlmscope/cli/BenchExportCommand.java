package org.vlmscope.cli;

import java.nio.file.Path;
import java.util.concurrent.Callable;
import org.vlmscope.bench.ExportBenchmark;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Option;

/** {@code vlmscope bench export}: export throughput and heap on a generated random checkpoint. */
@Command(name = "export", mixinStandardHelpOptions = true,
        description = "Generate a random sharded BF16 LLaVA checkpoint, export it, print MB/s and peak heap.")
final class BenchExportCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = "--gb", defaultValue = "2.0", description = "Checkpoint size in GB (default: ${DEFAULT-VALUE}).")
    double gb;

    @Option(names = "--dir", description = "Work directory, new or empty (default: a temp directory).")
    Path dir;

    @Option(names = "--dtype", defaultValue = "fp16", description = "Export dtype, fp16 or fp32 (default: ${DEFAULT-VALUE}).")
    String dtype;

    @Option(names = "--keep", description = "Keep the checkpoint and export instead of deleting them.")
    boolean keep;

    @Override
    public Integer call() throws Exception {
        ExportBenchmark.run(spec.commandLine().getOut(), gb, dir, dtype, keep);
        spec.commandLine().getOut().flush();
        return 0;
    }
}
