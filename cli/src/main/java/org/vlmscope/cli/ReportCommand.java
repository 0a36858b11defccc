package org.vlmscope.cli;

import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import org.vlmscope.experiments.report.Report;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code vlmscope report}: tables, plots, the lens viewer and an index page from results folders. */
@Command(name = "report", mixinStandardHelpOptions = true,
        description = "Write Table 1 and Table 2 (Markdown, CSV; denominators and 95%% intervals), the logit-lens "
                + "statistics, plots (PNG, SVG), the logit-lens viewer and index.html from the results folders of "
                + "ablation, knockout and logit-lens runs. The shards of one run merge.")
final class ReportCommand implements Callable<Integer> {
    @Parameters(arity = "1..*", paramLabel = "RESULTS", description = "Results folders (run.json, records.jsonl).")
    List<Path> results;

    @Option(names = {"-o", "--output"}, required = true, paramLabel = "REPORT",
            description = "Folder to write the report into (created if absent; its files are replaced).")
    Path output;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        Report.Summary summary = Report.write(results, output);
        var out = spec.commandLine().getOut();
        summary.notes().forEach(note -> out.println("note: " + note));
        out.println("wrote " + summary.files().size() + " files; open " + output.resolve(Report.INDEX));
        out.flush();
        return 0;
    }
}
