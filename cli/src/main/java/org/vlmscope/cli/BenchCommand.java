package org.vlmscope.cli;

import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/** {@code vlmscope bench}: benchmarks that print figures (never timed unit tests). */
@Command(name = "bench", mixinStandardHelpOptions = true,
        description = "Benchmarks; run with VLMSCOPE_JAVA_OPTS=-Xmx512m to check memory bounds.",
        subcommands = {BenchExportCommand.class, BenchSurgeryCommand.class, BenchLocateCommand.class,
                BenchLensCommand.class, BenchGenerateCommand.class, BenchIgCommand.class, BenchCocoCommand.class,
                BenchShapeCommand.class, BenchPrimitivesCommand.class})
final class BenchCommand implements Runnable {
    @Spec
    CommandSpec spec;

    @Override
    public void run() {
        throw new ParameterException(spec.commandLine(), "missing benchmark: choose one of " + spec.subcommands().keySet());
    }
}
