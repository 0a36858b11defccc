package org.vlmscope.cli;

import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.stream.IntStream;
import org.vlmscope.runtime.input.ModelInput;
import org.vlmscope.runtime.image.TokenGrid;
import org.vlmscope.runtime.summary.VisualGrid;
import org.vlmscope.core.BadArgumentException;
import org.vlmscope.core.ModelManifest;
import org.vlmscope.core.SafetensorsWriter;
import org.vlmscope.core.SafetensorsWriter.NamedTensor;
import org.vlmscope.core.VectorFile;
import org.vlmscope.core.VlmscopeException;
import org.vlmscope.runtime.attribution.IntegratedGradients;
import org.vlmscope.runtime.session.ModelSession;
import org.vlmscope.runtime.intervene.Positions;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/** {@code vlmscope attribute}: integrated gradients (or gradient x input) over the LM input embeddings. */
@Command(name = "attribute", mixinStandardHelpOptions = true, sortOptions = false,
        description = "Attribute a target logit to input positions with integrated gradients computed inside ONNX "
                + "Runtime (forward and backward in one call per batch of path points). Writes ig.scores (one per "
                + "position) and ig.attributions [seq, d_model]; prints the top positions and the visual grid.")
final class AttributeCommand implements Callable<Integer> {
    private static final int TOP = 10;

    @Parameters(paramLabel = "MODEL_DIR", description = "Model directory written by 'vlmscope export' (fp32).")
    Path modelDir;

    @Mixin
    PromptInput input;

    @Option(names = "--target", paramLabel = "TOKEN", required = true,
            description = "Token id whose logit is attributed, or A-B for the difference of two logits.")
    String target;

    @Option(names = "--position", paramLabel = "P", defaultValue = "-1",
            description = "Position of the target logit (default: the last position).")
    int position;

    @Option(names = "--baseline", paramLabel = "VECTOR",
            description = "Baseline: a vector of d_model values written at --baseline-positions, or a whole tensor "
                    + "[seq, d_model] (.safetensors, FILE:TENSOR or .pt); default zeros.")
    String baseline;

    @Option(names = "--baseline-positions", paramLabel = "POSITIONS",
            description = "Where the baseline differs from the input (default: the visual tokens, or every position "
                    + "of a text-only prompt).")
    String baselinePositions;

    @Option(names = "--steps", defaultValue = "50", description = "Path points (default: ${DEFAULT-VALUE}).")
    int steps;

    @Option(names = "--rule", defaultValue = "right",
            description = "right (alpha = k/m, k=1..m), linspace (both ends, the paper's code) or trapezoid "
                    + "(default: ${DEFAULT-VALUE}).")
    String rule;

    @Option(names = "--reduce", defaultValue = "sum",
            description = "Per-position score: sum, abssum or l2 over the hidden dimension (default: ${DEFAULT-VALUE}).")
    String reduce;

    @Option(names = "--batch", defaultValue = "10", description = "Path points per ONNX Runtime call (default: ${DEFAULT-VALUE}).")
    int batch;

    @Option(names = "--method", defaultValue = "ig",
            description = "ig (integrated gradients) or gxi (gradient x input, one backward pass; default: ${DEFAULT-VALUE}).")
    String method;

    @Option(names = {"-o", "--output"}, paramLabel = "OUT.safetensors", required = true,
            description = "Where to write ig.scores and ig.attributions.")
    Path output;

    @Mixin
    RuntimeOptions runtime;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        IntegratedGradients.Options options = new IntegratedGradients.Options(steps, enumValue(IntegratedGradients.Rule.class,
                rule, "--rule"), enumValue(IntegratedGradients.Reduce.class, reduce, "--reduce"), batch);
        IntegratedGradients.Target goal = parseTarget();
        if (!method.equals("ig") && !method.equals("gxi")) {
            throw new BadArgumentException("--method " + method + ": use ig or gxi");
        }
        input.check();
        Path outDir = output.toAbsolutePath().getParent();
        if (!Files.isDirectory(outDir)) {
            throw new VlmscopeException("cannot write " + output + ": directory " + outDir + " does not exist");
        }
        ModelManifest manifest = ModelManifest.read(modelDir);
        PrintWriter out = spec.commandLine().getOut();
        try (ModelInput.Prepared in = input.prepare(modelDir, manifest)) {
            if (in.ids().length != 1) {
                throw new BadArgumentException("attribute takes one prompt; " + input.inputs + " holds "
                        + in.ids().length + " rows");
            }
            out.println(in.summary());
            attribute(out, in, manifest, goal, options);
        }
        out.flush();
        return 0;
    }

    private void attribute(PrintWriter out, ModelInput.Prepared in, ModelManifest manifest,
                           IntegratedGradients.Target goal, IntegratedGradients.Options options) {
        int d = manifest.dims().dModel();
        int[] visual = in.visualPositions();
        float[] values = baseline == null ? new float[d] : VectorFile.read(baseline);
        IntegratedGradients.Baseline base = IntegratedGradients.Baseline.forPrompt(values,
                baselinePositions == null ? null : Positions.parse(baselinePositions, "baseline position"), visual,
                in.length(), d);
        try (ModelSession session = runtime.open(modelDir, List.of())) {
            IntegratedGradients.Result r = method.equals("gxi")
                    ? IntegratedGradients.gradientTimesInput(session, in.vision(), in.ids()[0], goal, options.reduce())
                    : IntegratedGradients.run(session, in.vision(), in.ids()[0],
                            base, goal, options);
            write(r, in.length(), d, manifest, in.metadata());
            report(out, r, visual, in.grid());
            runtime.announce(spec, session);
        }
    }

    private IntegratedGradients.Target parseTarget() {
        try {
            int dash = target.indexOf('-');
            return dash < 0 ? new IntegratedGradients.Target(Long.parseLong(target.trim()), null, position)
                    : new IntegratedGradients.Target(Long.parseLong(target.substring(0, dash).trim()),
                            Long.parseLong(target.substring(dash + 1).trim()), position);
        } catch (NumberFormatException e) {
            throw new BadArgumentException("--target " + target + ": expected a token id or A-B");
        }
    }

    private static <E extends Enum<E>> E enumValue(Class<E> type, String value, String option) {
        try {
            return Enum.valueOf(type, value.toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new BadArgumentException(option + " " + value + ": choose one of "
                    + List.of(type.getEnumConstants()).stream().map(c -> c.name().toLowerCase(Locale.ROOT)).toList());
        }
    }

    private void write(IntegratedGradients.Result r, int seq, int d, ModelManifest manifest,
                       Map<String, String> input) {
        Map<String, String> meta = new LinkedHashMap<>();
        meta.put("model_dir", modelDir.toAbsolutePath().toString());
        meta.put("model_fingerprint", manifest.source().fingerprint());
        meta.putAll(input);
        meta.put("method", method);
        meta.put("target", target);
        meta.put("position", Integer.toString(position));
        meta.put("steps", Integer.toString(steps));
        meta.put("rule", rule);
        meta.put("reduce", reduce);
        meta.put("baseline", baseline == null ? "zeros" : baseline);
        meta.put("f_input", Double.toString(r.fInput()));
        meta.put("f_baseline", Double.toString(r.fBaseline()));
        meta.put("sum_attributions", Double.toString(r.sumAttributions()));
        meta.put("completeness_gap", Double.toString(r.completenessGap()));
        SafetensorsWriter.writeAll(output, meta, List.of(
                NamedTensor.ofFloats("ig.scores", new long[] {seq}, r.scores()),
                NamedTensor.ofFloats("ig.attributions", new long[] {seq, d}, r.attributions())));
    }

    /** {@code grid}: the image's visual-token grid, null for a text-only prompt. */
    private void report(PrintWriter out, IntegratedGradients.Result r, int[] visual, TokenGrid grid) {
        out.printf(Locale.ROOT, "f(input) %.6g, f(baseline) %.6g, sum of attributions %.6g, completeness gap %.3g%n",
                r.fInput(), r.fBaseline(), r.sumAttributions(), r.completenessGap());
        List<Integer> order = new ArrayList<>(IntStream.range(0, r.scores().length).boxed().toList());
        order.sort(Comparator.comparingDouble((Integer p) -> -Math.abs(r.scores()[p])));
        out.printf("top %d positions by |score|:%n", Math.min(TOP, order.size()));
        for (int p : order.subList(0, Math.min(TOP, order.size()))) {
            int k = java.util.Arrays.binarySearch(visual, p);
            // The grid is the first image's: a later image's tokens (a Qwen2-VL prompt with several) get no cell.
            String where = k < 0 || grid == null ? "" : k < grid.tokens() ? String.format(Locale.ROOT,
                    "  visual %d (row %d, col %d)", k, k / grid.cols(), k % grid.cols()) : "  visual " + k;
            out.printf(Locale.ROOT, "  position %4d  %+.6g%s%n", p, r.scores()[p], where);
        }
        if (grid != null && visual.length == grid.tokens()) {
            out.println(VisualGrid.render(r.scores(), visual, grid));
        }
        out.println("wrote " + output + ": ig.scores, ig.attributions");
    }
}
