package org.vlmscope.experiments.report;

import static org.vlmscope.experiments.report.TextTable.csvNumber;
import static org.vlmscope.experiments.report.TextTable.number;

import java.util.ArrayList;
import java.util.List;
import org.vlmscope.experiments.metrics.Interval;
import org.vlmscope.experiments.metrics.LensStatistics;
import org.vlmscope.experiments.metrics.MeanEstimate;
import org.vlmscope.experiments.metrics.Table1;
import org.vlmscope.experiments.metrics.Table2;
import org.vlmscope.experiments.metrics.TokenSets;

/**
 * The report's tables as text: a display form (Markdown and HTML: figure, 95% interval, denominator in one cell)
 * and a long CSV form with one number per column for further analysis.
 */
final class ReportTables {
    private ReportTables() {
    }

    static TextTable table1(Table1 t) {
        List<String> header = new ArrayList<>(List.of("Ablation type (avg tokens)"));
        t.tasks().forEach(task -> header.add(taskLabel(task) + ": decrease % [95% CI] (of n)"));
        List<List<String>> rows = new ArrayList<>();
        for (Table1.Row row : t.rows()) {
            // Sized sets (ig-N, random-N) carry their size in the label; the others show their mean size.
            String label = TokenSets.size(row.set()).isPresent() ? row.label()
                    : row.label() + " (" + number(row.meanTokens(), 1) + ")";
            List<String> cells = new ArrayList<>(List.of(label));
            for (String task : t.tasks()) {
                Table1.Cell c = row.cells().get(task);
                cells.add(number(c.percent(), 2) + " " + interval(c.percentCi95(), 1) + " ("
                        + c.becameIncorrect() + "/" + c.baselineCorrect() + ")");
            }
            rows.add(cells);
        }
        return new TextTable(header, rows);
    }

    static TextTable table1Csv(Table1 t) {
        List<List<String>> rows = new ArrayList<>();
        for (Table1.Row row : t.rows()) {
            for (String task : t.tasks()) {
                Table1.Cell c = row.cells().get(task);
                rows.add(List.of(row.set(), row.label(), csvNumber(row.meanTokens()), task,
                        Integer.toString(c.baselineCorrect()), Integer.toString(c.becameIncorrect()),
                        csvNumber(c.percent()), csvNumber(c.percentCi95().lower()),
                        csvNumber(c.percentCi95().upper())));
            }
        }
        return new TextTable(List.of("set", "label", "mean_tokens", "task", "baseline_correct", "became_incorrect",
                "decrease_percent", "ci95_lower", "ci95_upper"), rows);
    }

    /** Table 2's accuracy ratios (the paper's table), with the number of images correct at baseline. */
    static TextTable table2Accuracy(Table2 t) {
        return table2(t, cell -> number(cell.accuracyRatio(), 2) + " " + interval(cell.accuracy().wilson95(), 2)
                + " (n=" + cell.accuracy().trials() + ")");
    }

    static TextTable table2Probability(Table2 t) {
        return table2(t, cell -> number(cell.probabilityRatio().mean(), 2) + " "
                + interval(cell.probabilityRatio().ci95(), 2) + " (n=" + cell.probabilityRatio().n() + ")");
    }

    private static TextTable table2(Table2 t, java.util.function.Function<Table2.Cell, String> show) {
        List<String> header = new ArrayList<>(List.of("From", "To"));
        t.windows().forEach(w -> header.add(windowLabel(w)));
        List<List<String>> rows = new ArrayList<>();
        for (String scenario : t.scenarios()) {
            List<String> cells = new ArrayList<>(List.of(from(scenario), to(scenario)));
            for (Table2.Window w : t.windows()) {
                Table2.Cell cell = t.cell(scenario, w.name());
                cells.add(cell == null ? "\u2013" : show.apply(cell));
            }
            rows.add(cells);
        }
        return new TextTable(header, rows);
    }

    static TextTable table2Csv(Table2 t) {
        List<List<String>> rows = new ArrayList<>();
        for (String scenario : t.scenarios()) {
            for (Table2.Window w : t.windows()) {
                Table2.Cell c = t.cell(scenario, w.name());
                if (c == null) {
                    continue;
                }
                Interval acc = c.accuracy().wilson95();
                MeanEstimate p = c.probabilityRatio();
                rows.add(List.of(scenario, w.name(), Integer.toString(w.firstLayer()),
                        Integer.toString(w.lastLayer()), Integer.toString(c.accuracy().trials()),
                        Integer.toString(c.accuracy().successes()), csvNumber(c.accuracyRatio()),
                        csvNumber(acc.lower()), csvNumber(acc.upper()), csvNumber(p.mean()),
                        csvNumber(p.ci95().lower()), csvNumber(p.ci95().upper())));
            }
        }
        return new TextTable(List.of("scenario", "window", "first_layer", "last_layer", "baseline_correct",
                "still_correct", "accuracy_ratio", "accuracy_ci95_lower", "accuracy_ci95_upper",
                "probability_ratio_mean", "probability_ci95_lower", "probability_ci95_upper"), rows);
    }

    static TextTable lensSummary(LensStatistics s) {
        return new TextTable(List.of("Statistic", "Mean [95% CI]", "Images"), List.of(
                List.of("Best-layer fraction of object cells (%)", number(100 * s.bestFraction().mean(), 1) + " "
                        + interval(s.bestFraction().ci95().scaled(100), 1), Integer.toString(s.images())),
                List.of("Best layer (of " + s.layers() + ", 0 = embeddings)", number(s.bestLayer().mean(), 1) + " "
                        + interval(s.bestLayer().ci95(), 1), Integer.toString(s.images()))));
    }

    static TextTable lensCurveCsv(LensStatistics s) {
        List<List<String>> rows = new ArrayList<>();
        for (int l = 0; l < s.perLayer().size(); l++) {
            MeanEstimate m = s.perLayer().get(l);
            rows.add(List.of(Integer.toString(l), Integer.toString(m.n()), csvNumber(m.mean()),
                    csvNumber(m.ci95().lower()), csvNumber(m.ci95().upper())));
        }
        return new TextTable(List.of("layer", "images", "mean_fraction", "ci95_lower", "ci95_upper"), rows);
    }

    static String windowLabel(Table2.Window w) {
        String name = switch (w.name()) {
            case "early" -> "Early";
            case "early-mid" -> "Early-Mid";
            case "mid" -> "Mid";
            case "mid-late" -> "Mid-Late";
            case "late" -> "Late";
            case "all" -> "All";
            default -> w.name();
        };
        String layers = w.firstLayer() + "-" + w.lastLayer();
        return name.equals(layers) ? "L" + layers : name + " (L" + layers + ")";
    }

    /** The blocked edges' source: the part of the scenario name before the arrow. */
    static String from(String scenario) {
        int arrow = scenario.indexOf("->");
        return arrow < 0 ? scenario : scenario.substring(0, arrow).replace("lvr", "LVR");
    }

    /** The blocked edges' target, in the paper's abbreviations: LTP last token position, LVR last visual row. */
    static String to(String scenario) {
        int arrow = scenario.indexOf("->");
        String to = arrow < 0 ? "" : scenario.substring(arrow + 2);
        return switch (to) {
            case "last" -> "LTP";
            case "lvr" -> "LVR";
            default -> to;
        };
    }

    private static String interval(Interval ci, int decimals) {
        return "[" + number(ci.lower(), decimals) + ", " + number(ci.upper(), decimals) + "]";
    }

    /** A task as the paper's column headings write it. */
    static String taskLabel(String task) {
        return switch (task) {
            case "generative" -> "Generative";
            case "polling" -> "Polling";
            case "vqa" -> "VQA";
            default -> task;
        };
    }
}
