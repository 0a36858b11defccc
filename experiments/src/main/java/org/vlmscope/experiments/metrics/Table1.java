package org.vlmscope.experiments.metrics;

import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import org.vlmscope.experiments.records.AblationRecord;
import org.vlmscope.experiments.records.ExperimentRecord;
import org.vlmscope.experiments.records.FilterRecord;

/**
 * Table 1: per token set and task, the % decrease = images correct at baseline that become incorrect when the
 * set is ablated / images correct at baseline, with that denominator and a 95% Wilson interval.
 *
 * <p>With the hallucination filter on, the generative and polling columns count only images whose
 * {@link FilterRecord} passes (an image without one is left out too: its filter verdict was never computed).
 * The VQA column is the curated question set, which the filter does not gate (EXPERIMENTS.md, step 6).
 */
public record Table1(List<String> tasks, List<Row> rows, boolean filtered, int imagesPassingFilter,
        int imagesFailingFilter, int imagesWithoutFilterRecord) {

    /** The tasks the hallucination filter gates. */
    public static final Set<String> GATED_TASKS = Set.of("generative", "polling");
    private static final List<String> TASK_ORDER = List.of("generative", "polling", "vqa");

    /** One token set: its mean number of ablated tokens over the images counted, and a cell per task. */
    public record Row(String set, String label, double meanTokens, Map<String, Cell> cells) {
    }

    /** {@code becameIncorrect} of the {@code baselineCorrect} images that were correct before ablation. */
    public record Cell(int baselineCorrect, int becameIncorrect) {
        public Proportion proportion() {
            return new Proportion(becameIncorrect, baselineCorrect);
        }

        /** The % decrease (NaN with no image correct at baseline). */
        public double percent() {
            return 100 * proportion().fraction();
        }

        public Interval percentCi95() {
            return proportion().wilson95().scaled(100);
        }
    }

    public static Table1 compute(Collection<? extends ExperimentRecord> records, boolean hallucinationFilter) {
        Map<String, Boolean> verdicts = new HashMap<>();
        for (ExperimentRecord r : records) {
            if (r instanceof FilterRecord f) {
                verdicts.put(f.imageId(), f.passes());
            }
        }
        Map<String, Map<String, int[]>> counts = new TreeMap<>(TokenSets.ORDER);
        Map<String, Map<String, Integer>> tokensByImage = new HashMap<>();
        Set<String> tasks = new TreeSet<>(Comparator.comparingInt((String t) -> taskRank(t))
                .thenComparing(Comparator.naturalOrder()));
        Set<String> unfiltered = new TreeSet<>();
        for (ExperimentRecord r : records) {
            if (!(r instanceof AblationRecord a)) {
                continue;
            }
            tasks.add(a.task());
            if (hallucinationFilter && GATED_TASKS.contains(a.task())) {
                Boolean passes = verdicts.get(a.imageId());
                if (passes == null) {
                    unfiltered.add(a.imageId());
                }
                if (passes != Boolean.TRUE) {
                    continue;
                }
            }
            int[] cell = counts.computeIfAbsent(a.set(), s -> new HashMap<>())
                    .computeIfAbsent(a.task(), t -> new int[2]);
            if (a.baselineCorrect()) {
                cell[0]++;
                if (!a.ablatedCorrect()) {
                    cell[1]++;
                }
            }
            tokensByImage.computeIfAbsent(a.set(), s -> new HashMap<>()).putIfAbsent(a.imageId(), a.nTokens());
        }
        List<Row> rows = new ArrayList<>();
        counts.forEach((set, byTask) -> {
            Map<String, Cell> cells = new LinkedHashMap<>();
            for (String task : tasks) {
                int[] c = byTask.getOrDefault(task, new int[2]);
                cells.put(task, new Cell(c[0], c[1]));
            }
            double meanTokens = tokensByImage.get(set).values().stream().mapToInt(Integer::intValue).average()
                    .orElse(Double.NaN);
            rows.add(new Row(set, TokenSets.label(set), meanTokens, cells));
        });
        int passing = (int) verdicts.values().stream().filter(v -> v).count();
        return new Table1(List.copyOf(tasks), rows, hallucinationFilter, passing, verdicts.size() - passing,
                unfiltered.size());
    }

    private static int taskRank(String task) {
        int i = TASK_ORDER.indexOf(task);
        return i < 0 ? TASK_ORDER.size() : i;
    }
}
