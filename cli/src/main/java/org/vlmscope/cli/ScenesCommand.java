package org.vlmscope.cli;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;
import org.vlmscope.core.BadArgumentException;
import org.vlmscope.experiments.scenes.SceneSetWriter;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code vlmscope scenes}: a synthetic COCO-format scene set with captions and questions. */
@Command(name = "scenes", mixinStandardHelpOptions = true,
        description = "Generate synthetic scenes (1-3 coloured shapes on textured backgrounds) as a COCO-format "
                + "dataset: images/, instances.json, captions.json and questions.json (descriptions, polling and "
                + "VQA questions with answers). The same seed gives the same files.")
final class ScenesCommand implements Callable<Integer> {
    @Option(names = {"-o", "--output"}, paramLabel = "DIR", required = true, description = "Directory to write.")
    Path output;

    @Option(names = "--count", paramLabel = "N", defaultValue = "100",
            description = "Number of scenes (default: ${DEFAULT-VALUE}).")
    int count;

    @Option(names = "--seed", paramLabel = "S", defaultValue = "1", description = "Seed (default: ${DEFAULT-VALUE}).")
    long seed;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        if (count < 1) {
            throw new BadArgumentException("--count must be at least 1, found " + count);
        }
        long start = System.nanoTime();
        SceneSetWriter.Summary s = SceneSetWriter.write(output, count, seed, id -> { });
        PrintWriter out = spec.commandLine().getOut();
        out.printf(Locale.ROOT, "wrote %d scenes (%d objects: %d small, %d large) to %s in %.1f s%n", s.images(),
                s.annotations(), s.smallObjects(), s.largeObjects(), output, Units.secondsSince(start));
        out.flush();
        return 0;
    }
}
