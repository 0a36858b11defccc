package org.vlmscope.cli;

import java.util.concurrent.Callable;
import org.vlmscope.bench.SurgeryBenchmark;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Option;

/** {@code vlmscope bench surgery}: rewriting a real-size (7B) decoder graph, time and heap. */
@Command(name = "surgery", mixinStandardHelpOptions = true,
        description = "Apply expose, patch, attention-bias and lens passes to LLaVA-1.5-7B's decoder graph "
                + "(exported graphs-only, no weights) and print time and heap.")
final class BenchSurgeryCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = "--rounds", defaultValue = "5", description = "Timed rounds (default: ${DEFAULT-VALUE}).")
    int rounds;

    @Override
    public Integer call() throws Exception {
        SurgeryBenchmark.run(spec.commandLine().getOut(), rounds);
        spec.commandLine().getOut().flush();
        return 0;
    }
}
