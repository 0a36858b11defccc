package org.vlmscope.cli;

import java.util.concurrent.Callable;
import org.vlmscope.bench.DemoModel;
import org.vlmscope.bench.GenerationBenchmark;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code vlmscope bench generate}: greedy decoding on the demo model with and without the KV cache. */
@Command(name = "generate", mixinStandardHelpOptions = true,
        description = "Tokens/s of greedy generation on the demo model with and without the KV cache, and memory "
                + "growth against the cache's own size.")
final class BenchGenerateCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = "--tokens", defaultValue = "200", description = "New tokens (default: ${DEFAULT-VALUE}).")
    int tokens;

    @Mixin
    ThreadsOption threads;

    @Override
    public Integer call() throws Exception {
        DemoModel.with("vlmscope-bench", (model, pixels, ids) -> GenerationBenchmark.run(spec.commandLine().getOut(), model, pixels, ids, tokens, threads.value()));
        spec.commandLine().getOut().flush();
        return 0;
    }
}
