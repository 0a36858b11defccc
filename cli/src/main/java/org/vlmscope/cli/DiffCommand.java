package org.vlmscope.cli;

import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import org.vlmscope.core.BadArgumentException;
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
            description = "Exit with code 1 when any tensor's max absolute difference exceeds TOL, or a tensor is in "
                    + "one dump only, or differs in shape (for scripts).")
    Double failAbove;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        if (failAbove != null && !(failAbove >= 0)) {
            throw new BadArgumentException("--fail-above must be a number >= 0, got " + failAbove);
        }
        List<DiffRow> rows = ActivationDiff.compare(a, b);
        spec.commandLine().getOut().print(DiffReport.format(rows, format));
        spec.commandLine().getOut().flush();
        if (failAbove == null) {
            return 0;
        }
        List<DiffRow> failing = rows.stream().filter(r -> r.exceeds(failAbove)).toList();
        if (failing.isEmpty()) {
            return 0;
        }
        DiffRow first = failing.get(0);
        String row = first.tensor() + (first.layer() == null ? "" : " layer " + first.layer());
        String why = first.unmatched() ? first.note() + ", so it cannot be held to"
                : String.format(Locale.ROOT, "max absolute difference %.4g exceeds", first.maxAbs());
        spec.commandLine().getErr().printf(Locale.ROOT, "vlmscope: %s: %s --fail-above %.4g (%d of %d rows fail)%n",
                row, why, failAbove, failing.size(), rows.size());
        return 1;
    }
}
