package org.vlmscope.cli;

import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/** {@code vlmscope dataset}: build and filter the paper's datasets (EXPERIMENTS.md, "Dataset"). */
@Command(name = "dataset", mixinStandardHelpOptions = true,
        description = "Build the paper's datasets: COCO filters and geometry, the curated VQA set, noise masks.",
        subcommands = {DatasetCocoCommand.class, DatasetVqaCommand.class, DatasetMaskCommand.class})
final class DatasetCommand implements Runnable {
    @Spec
    CommandSpec spec;

    @Override
    public void run() {
        throw new ParameterException(spec.commandLine(), "missing dataset command: choose one of "
                + spec.subcommands().keySet());
    }
}
