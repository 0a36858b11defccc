package org.vlmscope.cli;

import java.nio.file.Path;
import java.util.concurrent.Callable;
import org.vlmscope.core.BadArgumentException;
import org.vlmscope.core.ModelManifest;
import org.vlmscope.experiments.run.ExperimentModel;
import org.vlmscope.experiments.run.KnockoutRunner;
import org.vlmscope.experiments.run.LayerWindow;
import org.vlmscope.experiments.run.RunContext;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code vlmscope knockout}: Table 2's records. */
@Command(name = "knockout", mixinStandardHelpOptions = true,
        description = "Block attention edges (six scenarios from the object, its buffers or the image to the last "
                + "position or the last visual row) in windows of layers, and record per question whether the "
                + "answer stays correct and the correct token's probability before and after. Resumable, shardable.")
final class KnockoutCommand implements Callable<Integer> {
    @Option(names = "--dataset", required = true, paramLabel = "VQA.jsonl",
            description = "Curated questions ('vlmscope dataset vqa'); the first question of each image is used.")
    Path dataset;

    @Option(names = "--windows", paramLabel = "LIST",
            description = "early,early-mid,mid,mid-late,late,all (the paper's, scaled to the model's depth; "
                    + "default: all six).")
    String windows;

    @Option(names = "--sliding", paramLabel = "W", description = "Every window of W consecutive layers instead.")
    Integer sliding;

    @Mixin
    ExperimentOptions options;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        if (windows != null && sliding != null) {
            throw new BadArgumentException("--windows and --sliding exclude each other; give one");
        }
        int depth = ModelManifest.read(options.model).dims().layers();
        var settings = sliding != null
                ? new KnockoutRunner.Settings(LayerWindow.sliding(sliding, depth), "sliding-" + sliding)
                : new KnockoutRunner.Settings(LayerWindow.named(windows, depth),
                        windows == null ? "early,early-mid,mid,mid-late,late,all" : windows);
        RunContext context = options.context(spec.commandLine().getErr());
        try (ExperimentModel m = options.open()) {
            RunContext.Summary s = KnockoutRunner.run(m, new KnockoutRunner.Inputs(dataset, options.images), settings,
                    context);
            ExperimentOptions.print(spec.commandLine().getOut(), "knockout", "questions", s, options.results);
            options.runtime.announce(spec, m.session());
        }
        return 0;
    }
}
