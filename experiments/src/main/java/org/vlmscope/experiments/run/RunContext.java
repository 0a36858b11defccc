package org.vlmscope.experiments.run;

import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;
import org.vlmscope.experiments.ProgressListener;
import org.vlmscope.experiments.records.InputFile;
import org.vlmscope.experiments.records.RunManifest;
import org.vlmscope.experiments.records.WorkSelection;

/**
 * What every runner is handed besides its own settings: the results folder, which dataset items to cover,
 * the seed, the versions the caller records in {@code run.json}, and where progress goes.
 */
public record RunContext(Path results, WorkSelection selection, long seed, Map<String, String> versions,
                         ProgressListener progress) {

    /** The run.json of an experiment on {@code model} with these input files and options. */
    RunManifest manifest(String experiment, ExperimentModel model, Map<String, Path> inputs,
                         Map<String, String> options) {
        Map<String, InputFile> files = new java.util.TreeMap<>();
        inputs.forEach((name, path) -> files.put(name, InputFile.of(path)));
        return new RunManifest(RunManifest.FORMAT, experiment, model.dir().toAbsolutePath().normalize().toString(),
                fingerprint(model), files,
                model.fidelity().name().toLowerCase(Locale.ROOT), seed, options, versions);
    }

    private static String fingerprint(ExperimentModel model) {
        var source = model.manifest().source();
        return source == null || source.fingerprint() == null ? "unknown" : source.fingerprint();
    }

    /** What a run did: units (images or questions) selected, of them resumed, records appended, seconds spent. */
    public record Summary(int selected, int resumed, int appended, double seconds) {
        /** Units computed per second (resumed units excluded). */
        public double unitsPerSecond() {
            int computed = selected - resumed;
            return seconds > 0 ? computed / seconds : 0;
        }
    }
}
