package org.vlmscope.cli;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;
import org.vlmscope.core.ModelManifest;
import org.vlmscope.core.VlmscopeException;
import org.vlmscope.exporter.ExportOptions;
import org.vlmscope.exporter.Exporter;
import picocli.CommandLine.Command;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;
import picocli.CommandLine.TypeConversionException;

/** {@code vlmscope export}: a Hugging Face LLaVA or Qwen2-VL checkpoint to a vlmscope model directory. */
@Command(name = "export", mixinStandardHelpOptions = true,
        description = "Export a Hugging Face LLaVA or Qwen2-VL checkpoint (config.json + *.safetensors) to a model directory "
                + "of ONNX graphs (vision, embed, decoder).")
final class ExportCommand implements Callable<Integer> {
    @Parameters(paramLabel = "CHECKPOINT_DIR", description = "Hugging Face checkpoint directory.")
    Path checkpoint;

    @Option(names = {"-o", "--output"}, paramLabel = "MODEL_DIR", required = true,
            description = "Model directory to write (a previous export there is replaced when this one succeeds).")
    Path output;

    @Option(names = "--dtype", paramLabel = "fp32|fp16", defaultValue = "fp32", converter = DtypeConverter.class,
            description = "Weight and activation type (default: ${DEFAULT-VALUE}).")
    ExportOptions options;

    @Option(names = "--graphs-only", description = "Write the graphs and vlmscope.json but no weight data: for "
            + "inspecting a large model or benchmarking surgery; such a directory cannot run.")
    boolean graphsOnly;

    @Option(names = "--allow-unused-layers", description = "Export even when config.json asks for fewer layers than "
            + "the checkpoint holds (their weights are left out); without it such a checkpoint is refused.")
    boolean allowUnusedLayers;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        long start = System.nanoTime();
        Exporter.Result r = Exporter.export(checkpoint, output,
                options.withGraphsOnly(graphsOnly).withAllowUnusedLayers(allowUnusedLayers));
        double seconds = Units.secondsSince(start);
        PrintWriter out = spec.commandLine().getOut();
        out.printf("exported %s -> %s (%s)%n", checkpoint, r.modelDir(), options.dtypeName());
        out.printf("  graphs:  %s%n", String.join(", ", r.manifest().graphs().values().stream()
                .map(ModelManifest.GraphEntry::file).toList()));
        out.printf("  tensors: %d, weights %s (%d bytes)%n", r.tensors(), Units.bytes(r.weightBytes()), r.weightBytes());
        r.manifest().promptTemplates().keySet().forEach(family -> out.printf("  prompt:  %s template, from %s%n",
                family, r.manifest().source().promptTemplate()));
        out.printf(Locale.ROOT, "  time:    %.2f s, %s%n", seconds, Units.megabytesPerSecond(r.weightBytes(), seconds));
        out.flush();
        return 0;
    }

    /** Makes a bad --dtype a usage error (exit 2) with the exporter's own wording. */
    static final class DtypeConverter implements ITypeConverter<ExportOptions> {
        @Override
        public ExportOptions convert(String value) {
            try {
                return ExportOptions.parse(value);
            } catch (VlmscopeException e) {
                throw new TypeConversionException(e.getMessage());
            }
        }
    }
}
