package org.vlmscope.cli;

import java.nio.file.Path;
import java.util.concurrent.Callable;
import org.vlmscope.experiments.metrics.TokenMatchRule;
import org.vlmscope.experiments.run.ExperimentModel;
import org.vlmscope.experiments.run.LensRunner;
import org.vlmscope.experiments.run.RunContext;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code vlmscope logit-lens}: section 4.1's records and the viewer's sidecars. */
@Command(name = "logit-lens", mixinStandardHelpOptions = true,
        description = "Apply the logit lens at every layer and visual position; record per image the fraction of "
                + "object cells whose top-1 token names the object at each layer, and write the viewer's data "
                + "(lens/<image>.json and the crop). Resumable, shardable.")
final class LogitLensCommand implements Callable<Integer> {
    @Option(names = "--dataset", required = true, paramLabel = "DATASET.jsonl",
            description = "Written by 'vlmscope dataset coco --preset lens --model MODEL_DIR'.")
    Path dataset;

    @Option(names = "--match", defaultValue = "exact,casefold,strip-marker", paramLabel = "RULE",
            description = "When a token names the object's first sub-word: exact or prefix, optionally casefold "
                    + "and strip-marker (default: ${DEFAULT-VALUE}).")
    String match;

    @Mixin
    ExperimentOptions options;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        TokenMatchRule rule = TokenMatchRule.parse(match);
        RunContext context = options.context(spec.commandLine().getErr());
        try (ExperimentModel m = options.open()) {
            RunContext.Summary s = LensRunner.run(m, new LensRunner.Inputs(dataset, options.images), rule, context);
            ExperimentOptions.print(spec.commandLine().getOut(), "logit-lens", "images", s, options.results);
            options.runtime.announce(spec, m.session());
        }
        return 0;
    }
}
