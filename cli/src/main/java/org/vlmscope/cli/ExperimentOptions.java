package org.vlmscope.cli;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;
import org.vlmscope.experiments.run.ExperimentModel;
import org.vlmscope.experiments.run.RunContext;
import org.vlmscope.runtime.text.PromptTemplates.Fidelity;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** The options every experiment verb shares: where results go, fidelity, seed, runtime, and which items run. */
final class ExperimentOptions {
    @Parameters(index = "0", paramLabel = "MODEL_DIR", description = "An exported model.")
    Path model;

    @Option(names = "--images", required = true, paramLabel = "DIR",
            description = "The image folder the dataset was built from.")
    Path images;

    @Option(names = {"-o", "--output"}, required = true, paramLabel = "RESULTS",
            description = "Results folder (run.json, records.jsonl). Running the same command again resumes it.")
    Path results;

    @Option(names = "--fidelity", paramLabel = "paper|code", defaultValue = "paper",
            converter = PromptInput.FidelityConverter.class,
            description = "The protocol of EXPERIMENTS.md: the paper's text or its public code (default: "
                    + "${DEFAULT-VALUE}).")
    Fidelity fidelity;

    @Option(names = "--seed", defaultValue = "0", paramLabel = "S",
            description = "Seed of random token sets and noise masks (default: ${DEFAULT-VALUE}).")
    long seed;

    @Mixin
    RuntimeOptions runtime;

    @Mixin
    WorkSelectionOptions selection;

    ExperimentModel open() {
        return ExperimentModel.open(model, runtime.device, runtime.threads.value(), fidelity);
    }

    RunContext context(PrintWriter err) {
        return new RunContext(results, selection.selection(), seed, Map.of("vlmscope", Main.VERSION),
                ProgressRenderer.on(err));
    }

    /** One line: what ran, how fast, and where the records are. */
    static void print(PrintWriter out, String experiment, String unit, RunContext.Summary s, Path results) {
        out.printf(Locale.ROOT, "%s: %d %s (%d resumed), %d records appended in %.1f s, %.3f %s/s; records in %s%n",
                experiment, s.selected(), unit, s.resumed(), s.appended(), s.seconds(), s.unitsPerSecond(), unit,
                results.resolve("records.jsonl"));
        out.flush();
    }
}
