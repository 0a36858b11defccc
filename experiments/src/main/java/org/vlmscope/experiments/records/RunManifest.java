package org.vlmscope.experiments.records;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * {@code RESULTS/run.json}: what produced a results folder. Its identity (experiment, model fingerprint, input
 * hashes, fidelity, seed, options) must match for a run to resume into the folder or for folders to be merged
 * into one report; the paths and versions are kept for the reader but may differ (another machine, a newer
 * build). {@code options} holds every option that changes what a record holds (tasks, sets, filter, windows,
 * match rule, ...) as text; {@code --shard}, {@code --limit} and {@code --batch} only choose which records are
 * computed, or how fast, so they are not options here.
 */
public record RunManifest(
        int format,
        String experiment,
        String modelPath,
        String modelFingerprint,
        Map<String, InputFile> inputs,
        String fidelity,
        long seed,
        Map<String, String> options,
        Map<String, String> versions) {

    public static final int FORMAT = 1;
    public static final String FILE = "run.json";
    /** The {@code experiment} names the report knows. */
    public static final String ABLATION = "ablation";
    public static final String KNOCKOUT = "knockout";
    public static final String LOGIT_LENS = "logit-lens";
    /** The ablation option that says whether the hallucination filter gates Table 1: {@code hallucination|none}. */
    public static final String FILTER_OPTION = "filter";

    public RunManifest {
        Objects.requireNonNull(experiment, "experiment");
        Objects.requireNonNull(modelFingerprint, "modelFingerprint");
        Objects.requireNonNull(fidelity, "fidelity");
        inputs = new TreeMap<>(inputs);
        options = new TreeMap<>(options);
        versions = new TreeMap<>(versions);
    }

    /** What differs in identity from {@code other}, one phrase per field ("fidelity: paper here, code there"). */
    public List<String> identityDifferences(RunManifest other) {
        List<String> out = new ArrayList<>();
        compare(out, "format", format, other.format);
        compare(out, "experiment", experiment, other.experiment);
        compare(out, "model fingerprint", modelFingerprint, other.modelFingerprint);
        compare(out, "fidelity", fidelity, other.fidelity);
        compare(out, "seed", seed, other.seed);
        Set<String> inputNames = new TreeSet<>(inputs.keySet());
        inputNames.addAll(other.inputs.keySet());
        for (String name : inputNames) {
            InputFile a = inputs.get(name);
            InputFile b = other.inputs.get(name);
            compare(out, "input " + name + " (sha256)", a == null ? null : a.sha256(), b == null ? null : b.sha256());
        }
        Set<String> optionNames = new TreeSet<>(options.keySet());
        optionNames.addAll(other.options.keySet());
        for (String name : optionNames) {
            compare(out, "option " + name, options.get(name), other.options.get(name));
        }
        return out;
    }

    private static void compare(List<String> out, String what, Object here, Object there) {
        if (!Objects.equals(here, there)) {
            out.add(what + ": " + shown(here) + " vs " + shown(there));
        }
    }

    private static String shown(Object value) {
        return value == null ? "(absent)" : value.toString();
    }
}
