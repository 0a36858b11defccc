package org.vlmscope.cli;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.stream.Collectors;
import org.vlmscope.experiments.dataset.VqaSet;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code vlmscope dataset vqa}: the curated questions about the kept images, answered by their target object. */
@Command(name = "vqa", mixinStandardHelpOptions = true,
        description = "One JSON line per question about a kept image of the dataset, with the answer (the "
                + "image's target object) and its object cells. Question ids the dataset lacks or rejected are "
                + "reported.")
final class DatasetVqaCommand implements Callable<Integer> {
    private static final int LISTED = 10;

    @Option(names = "--questions", required = true, paramLabel = "clean_questions.json",
            description = "COCO image id -> list of questions (testdata/data/clean_questions.json).")
    Path questions;

    @Option(names = "--dataset", required = true, paramLabel = "DATASET.jsonl",
            description = "Made by 'vlmscope dataset coco'.")
    Path dataset;

    @Option(names = {"-o", "--output"}, required = true, paramLabel = "VQA.jsonl", description = "Output file.")
    Path output;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        VqaSet.Report r = VqaSet.build(questions, dataset, output);
        PrintWriter out = spec.commandLine().getOut();
        out.printf(Locale.ROOT, "%s: %d questions about %d images%n", output, r.records(), r.images());
        report(out, "not in the dataset", r.notInDataset());
        Map<String, List<Long>> byReason = r.rejected().entrySet().stream().collect(Collectors.groupingBy(
                Map.Entry::getValue, java.util.LinkedHashMap::new,
                Collectors.mapping(Map.Entry::getKey, Collectors.toList())));
        byReason.forEach((why, ids) -> report(out, "rejected by the dataset (" + why + ")", ids));
        report(out, "with no question", r.withoutQuestions());
        return 0;
    }

    private static void report(PrintWriter out, String what, List<Long> ids) {
        if (ids.isEmpty()) {
            return;
        }
        String shown = ids.stream().limit(LISTED).map(String::valueOf).collect(Collectors.joining(", "));
        out.printf(Locale.ROOT, "  %d ids %s: %s%s%n", ids.size(), what, shown, ids.size() > LISTED ? ", ..." : "");
    }
}
