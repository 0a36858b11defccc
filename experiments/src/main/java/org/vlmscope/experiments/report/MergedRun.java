package org.vlmscope.experiments.report;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.vlmscope.core.VlmscopeException;
import org.vlmscope.experiments.records.ExperimentRecord;
import org.vlmscope.experiments.records.ResultsFolder;
import org.vlmscope.experiments.records.RunManifest;

/**
 * The results of one run, possibly read from several folders (its shards): one manifest identity, each record
 * once. Folders of the same experiment whose identities differ are different runs and cannot be merged; a key
 * recorded twice must hold the same record.
 */
record MergedRun(RunManifest manifest, List<Path> folders, List<ExperimentRecord> records, List<Path> tornTails) {

    /** One merged run per experiment named by the folders, in the order the experiments first appear. */
    static List<MergedRun> merge(List<ResultsFolder> folders) {
        Map<String, List<ResultsFolder>> byExperiment = new LinkedHashMap<>();
        for (ResultsFolder folder : folders) {
            byExperiment.computeIfAbsent(folder.manifest().experiment(), e -> new ArrayList<>()).add(folder);
        }
        List<MergedRun> runs = new ArrayList<>();
        byExperiment.values().forEach(group -> runs.add(mergeOneRun(group)));
        return runs;
    }

    private static MergedRun mergeOneRun(List<ResultsFolder> group) {
        ResultsFolder first = group.get(0);
        Map<String, ExperimentRecord> byKey = new LinkedHashMap<>();
        Map<String, Path> source = new LinkedHashMap<>();
        List<Path> folders = new ArrayList<>();
        List<Path> torn = new ArrayList<>();
        for (ResultsFolder folder : group) {
            List<String> differences = first.manifest().identityDifferences(folder.manifest());
            if (!differences.isEmpty()) {
                throw new VlmscopeException(folder.directory() + " holds another run than " + first.directory()
                        + " (" + first.manifest().experiment() + "; " + String.join("; ", differences)
                        + "); a report merges only the shards of one run");
            }
            folders.add(folder.directory());
            if (folder.tornTail()) {
                torn.add(folder.directory());
            }
            for (ExperimentRecord record : folder.records()) {
                ExperimentRecord earlier = byKey.putIfAbsent(record.key(), record);
                if (earlier == null) {
                    source.put(record.key(), folder.directory());
                } else if (!earlier.equals(record)) {
                    throw new VlmscopeException("conflicting records for " + record.key() + " in "
                            + source.get(record.key()) + " and " + folder.directory());
                }
            }
        }
        return new MergedRun(first.manifest(), folders, new ArrayList<>(byKey.values()), torn);
    }
}
