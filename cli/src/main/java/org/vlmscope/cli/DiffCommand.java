package org.vlmscope.cli;

import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import org.vlmscope.runtime.diff.ActivationDiff;
import org.vlmscope.runtime.diff.DiffReport;
import org.vlmscope.runtime.diff.DiffRow;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code vlmscope diff}: how two activation dumps differ, hook by hook and layer by layer. */
@Command(name = "diff", mixinStandardHelpOptions = true,
        description = "Compare two activation dumps (run --cache): per hook and per layer, max and mean absolute "
                + "difference, relative L2 (against A), cosine similarity; for lens ids, top-1 agreement.")
final class DiffCommand implements Callable<Integer> {
    @Parameters(index = "0", paramLabel = "A.safetensors", description = "Reference dump.")
    Path a;

    @Parameters(index = "1", paramLabel = "B.safetensors", description = "Dump to compare with A.")
    Path b;

    @Option(names = "--format", defaultValue = "table", description = "table, csv or json (default: ${DEFAULT-VALUE}).")
    String format;

    @Option(names = "--fail-above", paramLabel = "TOL",
            description = "Exit with code 1 when any tensor's max absolute difference exceeds TOL (for scripts).")
    Double failAbove;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        List<DiffRow> rows = ActivationDiff.compare(a, b);
        spec.commandLine().getOut().print(DiffReport.format(rows, format));
        spec.commandLine().getOut().flush();
        if (failAbove == null) {
            return 0;
        }
        double worst = rows.stream().mapToDouble(DiffRow::maxAbs).filter(v -> !Double.isNaN(v)).max().orElse(0);
        if (worst > failAbove) {
            spec.commandLine().getErr().printf(Locale.ROOT, "vlmscope: max absolute difference %.4g exceeds %.4g%n",
                    worst, failAbove);
            return 1;
        }
        return 0;
    }
}
