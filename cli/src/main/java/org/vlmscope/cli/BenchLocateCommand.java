package org.vlmscope.cli;

import java.io.PrintWriter;
import java.util.Locale;
import java.util.concurrent.Callable;
import org.vlmscope.bench.LocateBenchmark;
import org.vlmscope.graph.synthetic.SyntheticDecoder;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code vlmscope bench locate}: finding the hooks of a 7B-shaped foreign decoder graph and rewriting it. */
@Command(name = "locate", mixinStandardHelpOptions = true,
        description = "Locate the hooks of a Llama-2-7B-shaped decoder graph laid out as torch.onnx.export writes it "
                + "(no weights: its data file never exists), then apply expose, patch, attention-bias and lens "
                + "passes and serialise it; print the time per round.")
final class BenchLocateCommand implements Callable<Integer> {
    @Option(names = "--rounds", defaultValue = "5", description = "Timed rounds (default: ${DEFAULT-VALUE}).")
    int rounds;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        LocateBenchmark.Result r = LocateBenchmark.run(SyntheticDecoder.Shape.llama7b(), rounds);
        PrintWriter out = spec.commandLine().getOut();
        out.printf(Locale.ROOT, "graph: %d layers, %d bytes, references %.1f GB of weights; weights file %s%n",
                r.layers(), r.graphBytes(), r.weightBytes() / 1e9, r.weightsRead() ? "CREATED (read?)" : "never created");
        int i = 1;
        for (LocateBenchmark.Round round : r.rounds()) {
            out.printf(Locale.ROOT, "round %d: %d -> %d nodes, load + locate %.3f s, + all passes + serialise %.3f s%n",
                    i++, round.nodesBefore(), round.nodesAfter(), round.locateSeconds(), round.totalSeconds());
        }
        out.printf(Locale.ROOT, "locate + rewrite: best %.3f s (goal < 1 s); round 1 includes the JVM's one-time "
                + "class loading and JIT, much of it the JSON library's first use (the surgery log every pass writes)%n",
                r.bestTotal());
        out.flush();
        return 0;
    }
}
