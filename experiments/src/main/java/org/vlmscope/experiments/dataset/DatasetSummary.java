package org.vlmscope.experiments.dataset;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/** What a dataset build did: images considered, kept, and rejected per reason (in order of first occurrence). */
public record DatasetSummary(int considered, int kept, Map<String, Integer> rejected) {

    /** Counts records as they are written. */
    static final class Tally {
        private int considered;
        private int kept;
        private final Map<String, Integer> rejected = new LinkedHashMap<>();

        void add(DatasetRecord r) {
            considered++;
            if (r.kept()) {
                kept++;
            } else {
                rejected.merge(r.why(), 1, Integer::sum);
            }
        }

        DatasetSummary summary() {
            return new DatasetSummary(considered, kept, Collections.unmodifiableMap(new LinkedHashMap<>(rejected)));
        }
    }
}
