package org.vlmscope.experiments.metrics;

import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.vlmscope.core.VlmscopeException;
import org.vlmscope.experiments.records.ExperimentRecord;
import org.vlmscope.experiments.records.KnockoutRecord;

/**
 * Table 2: per blocking scenario and layer window, over the images correct at baseline, the accuracy ratio
 * (images still correct after blocking / images correct at baseline, with a 95% Wilson interval) and the mean
 * ratio of the correct token's probability after / before (with a 95% t interval).
 */
public record Table2(List<String> scenarios, List<Window> windows, Map<String, Map<String, Cell>> cells,
        int baselineIncorrectRecords) {

    /** The paper's scenario order; scenarios it does not name follow in the order they first appear. */
    public static final List<String> SCENARIO_ORDER = List.of("O->last", "O+1->last", "O+2->last",
            "I-(O+1)->last", "O+1->lvr", "I-lvr->lvr");

    /** A layer window by name and its 0-indexed first and last decoder layer (inclusive). */
    public record Window(String name, int firstLayer, int lastLayer) {
    }

    /** Order of windows as the paper lists them: by last layer, and the wider window after the narrower. */
    static final Comparator<Window> WINDOW_ORDER = Comparator.comparingInt(Window::lastLayer)
            .thenComparing(Comparator.comparingInt(Window::firstLayer).reversed());

    public record Cell(Proportion accuracy, MeanEstimate probabilityRatio) {
        public double accuracyRatio() {
            return accuracy.fraction();
        }
    }

    /** The cell of a scenario and window, or null where no image correct at baseline has a record. */
    public Cell cell(String scenario, String window) {
        return cells.getOrDefault(scenario, Map.of()).get(window);
    }

    public static Table2 compute(Collection<? extends ExperimentRecord> records) {
        Map<String, Window> windows = new HashMap<>();
        Set<String> scenarios = new LinkedHashSet<>(SCENARIO_ORDER);
        Map<String, Map<String, List<KnockoutRecord>>> grouped = new HashMap<>();
        int baselineIncorrect = 0;
        for (ExperimentRecord r : records) {
            if (!(r instanceof KnockoutRecord k)) {
                continue;
            }
            Window w = new Window(k.window(), k.firstLayer(), k.lastLayer());
            Window earlier = windows.putIfAbsent(w.name(), w);
            if (earlier != null && !earlier.equals(w)) {
                throw new VlmscopeException("knockout window '" + w.name() + "' covers layers " + earlier.firstLayer()
                        + "-" + earlier.lastLayer() + " in one record and " + w.firstLayer() + "-" + w.lastLayer()
                        + " in another (image " + k.imageId() + ")");
            }
            if (!k.baselineCorrect()) {
                baselineIncorrect++;
                continue;
            }
            scenarios.add(k.scenario());
            grouped.computeIfAbsent(k.scenario(), s -> new HashMap<>())
                    .computeIfAbsent(k.window(), x -> new ArrayList<>()).add(k);
        }
        scenarios.retainAll(grouped.keySet());
        List<Window> windowList = new ArrayList<>(windows.values());
        windowList.sort(WINDOW_ORDER);
        Map<String, Map<String, Cell>> cells = new LinkedHashMap<>();
        for (String scenario : scenarios) {
            Map<String, Cell> row = new LinkedHashMap<>();
            for (Window w : windowList) {
                List<KnockoutRecord> group = grouped.get(scenario).get(w.name());
                if (group != null) {
                    row.put(w.name(), cell(group));
                }
            }
            cells.put(scenario, row);
        }
        return new Table2(List.copyOf(scenarios), windowList, cells, baselineIncorrect);
    }

    private static Cell cell(List<KnockoutRecord> group) {
        int stillCorrect = 0;
        List<Double> ratios = new ArrayList<>();
        for (KnockoutRecord k : group) {
            if (k.knockedCorrect()) {
                stillCorrect++;
            }
            if (!(k.pBefore() > 0)) {
                throw new VlmscopeException("knockout record " + k.key() + " is correct at baseline with p_before "
                        + k.pBefore() + "; the probability ratio needs p_before > 0");
            }
            ratios.add(k.pAfter() / k.pBefore());
        }
        return new Cell(new Proportion(stillCorrect, group.size()), MeanEstimate.of(ratios));
    }
}
