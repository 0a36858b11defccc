package org.vlmscope.cli;

import java.util.concurrent.Callable;
import org.vlmscope.bench.DemoModel;
import org.vlmscope.bench.IgBenchmark;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code vlmscope bench ig}: integrated gradients inside ONNX Runtime against plain forward passes. */
@Command(name = "ig", mixinStandardHelpOptions = true,
        description = "IG-50 as batched forward+backward runs against 50 plain forward passes on the demo model, "
                + "for several batch sizes.")
final class BenchIgCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = "--batches", split = ",", defaultValue = "1,5,10,25,50",
            description = "Batch sizes to try (default: ${DEFAULT-VALUE}).")
    int[] batches;

    @Mixin
    ThreadsOption threads;

    @Override
    public Integer call() throws Exception {
        DemoModel.with("vlmscope-bench", (model, pixels, ids) -> IgBenchmark.run(spec.commandLine().getOut(), model, pixels, ids, batches, threads.value()));
        spec.commandLine().getOut().flush();
        return 0;
    }
}
