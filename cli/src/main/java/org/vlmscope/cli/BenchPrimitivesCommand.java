package org.vlmscope.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import org.vlmscope.core.BadArgumentException;
import org.vlmscope.bench.PrimitivesBenchmark;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code vlmscope bench primitives}: the paper's primitives timed on one exported model and one image. */
@Command(name = "primitives", mixinStandardHelpOptions = true,
        description = "Time prefill (b; b_prefill_lm: the language model alone), all residuals + top-5 lens (c), ablation of 60 visual tokens (d), knockout "
                + "of them in layers 2-5 (e), IG-50 (f) and greedy generation of 200 and 10 tokens (g) on an exported "
                + "model with a tokenizer, one warm-up then --reps runs each; medians, min, max and peak resident memory.")
final class BenchPrimitivesCommand implements Callable<Integer> {
    @Option(names = "--model", required = true, paramLabel = "MODEL_DIR", description = "An exported model with tokenizer.json.")
    Path model;

    @Option(names = "--image", required = true, paramLabel = "IMG", description = "The image.")
    Path image;

    @Option(names = "--json", paramLabel = "OUT", description = "Also write the figures as JSON.")
    Path json;

    @Option(names = "--reps", defaultValue = "5", description = "Timed runs per primitive (default: ${DEFAULT-VALUE}).")
    int reps;

    @Option(names = "--ig-batch", defaultValue = "1", description = "IG path points per ONNX Runtime call (default: ${DEFAULT-VALUE}).")
    int igBatch;

    @Option(names = "--only", split = ",", paramLabel = "NAME", description = "Run only these primitives "
            + "(comma-separated): b_prefill, b_prefill_lm (the language model alone on embeddings computed once), "
            + "c_lens, d_ablation, e_knockout, f_ig, g_generate_200, g_generate_10; default: all.")
    List<String> only = List.of();

    @Override
    public Integer call() throws Exception {
        if (!Files.isDirectory(model)) {
            throw new BadArgumentException("--model " + model + " is not a directory (an exported model was expected)");
        }
        if (!Files.isRegularFile(image)) {
            throw new BadArgumentException("--image " + image + " is not a file");
        }
        if (reps < 1 || igBatch < 1) {
            throw new BadArgumentException("--reps and --ig-batch must be at least 1");
        }
        PrimitivesBenchmark.Report report = PrimitivesBenchmark.run(model, image, reps, igBatch,
                new LinkedHashSet<>(only), name -> System.err.println("bench: " + name));
        var d = report.dims();
        System.out.printf(Locale.ROOT, "model %s: LM %d layers, d_model %d, vocab %d; prompts %d and %d positions; %s%n",
                model, d.layers(), d.dModel(), d.vocab(), report.pollingLength(), report.describeLength(), report.provider());
        System.out.printf(Locale.ROOT, "resident after loading: %s; peak: %s%n", Units.bytes(report.loadedBytes()),
                Units.bytes(report.peakBytes()));
        System.out.printf(Locale.ROOT, "%-16s %9s %9s %9s %3s %9s %12s %12s %12s %11s%n", "primitive", "median_s", "min_s",
                "max_s", "n", "cpu_s", "rss_before", "peak_rss", "pss_after", "load");
        for (PrimitivesBenchmark.Step s : report.steps()) {
            var t = s.timing();
            System.out.printf(Locale.ROOT, "%-16s %9.3f %9.3f %9.3f %3d %9.3f %12s %12s %12s %5.2f-%5.2f%n", s.name(),
                    t.medianS(), t.minS(), t.maxS(), t.n(), t.medianCpuS(), Units.bytes(s.residentBeforeBytes()),
                    Units.bytes(s.peakBytes()), Units.bytes(s.pssAfterBytes()),
                    s.loadBefore(), s.loadAfter());
        }
        if (json != null) {
            write(json, toJson(report));
        }
        return 0;
    }

    private static Map<String, Object> toJson(PrimitivesBenchmark.Report report) {
        Map<String, Object> timings = new LinkedHashMap<>();
        Map<String, Object> memory = new LinkedHashMap<>();
        Map<String, Object> load = new LinkedHashMap<>();
        for (PrimitivesBenchmark.Step s : report.steps()) {
            var t = s.timing();
            Map<String, Object> timing = new LinkedHashMap<>();
            timing.put("median_s", t.medianS());
            timing.put("min_s", t.minS());
            timing.put("max_s", t.maxS());
            timing.put("n", t.n());
            timing.put("median_cpu_s", t.medianCpuS());
            timings.put(s.name(), timing);
            memory.put(s.name(), Map.of("rss_before_bytes", s.residentBeforeBytes(), "peak_rss_bytes", s.peakBytes(),
                    "pss_after_bytes", s.pssAfterBytes()));
            load.put(s.name(), Map.of("before", s.loadBefore(), "after", s.loadAfter()));
        }
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("model", report.model().toString());
        out.put("provider", report.provider());
        out.put("layers", report.dims().layers());
        out.put("d_model", report.dims().dModel());
        out.put("vocab", report.dims().vocab());
        out.put("polling_positions", report.pollingLength());
        out.put("describe_positions", report.describeLength());
        out.put("ig_batch", report.igBatch());
        out.put("timings", timings);
        out.put("loaded_rss_bytes", report.loadedBytes());
        out.put("peak_rss_bytes", report.peakBytes());
        out.put("memory", memory);
        out.put("load_average_1min", load);
        return out;
    }

    /** Written to a temporary file beside {@code file}, then renamed: never left partial. */
    private static void write(Path file, Map<String, Object> content) throws java.io.IOException {
        Path dir = file.toAbsolutePath().getParent();
        Path tmp = Files.createTempFile(dir, file.getFileName().toString(), ".tmp");
        try {
            new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValue(tmp.toFile(), content);
            Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } finally {
            Files.deleteIfExists(tmp);
        }
    }
}
