package org.vlmscope.cli;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import org.vlmscope.core.Directories;
import org.vlmscope.core.SafetensorsWriter.NamedTensor;
import org.vlmscope.exporter.ExportOptions;
import org.vlmscope.exporter.Exporter;
import org.vlmscope.models.DemoCheckpoint;
import org.vlmscope.runtime.IgBenchmark;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code vlmscope bench ig}: integrated gradients inside ONNX Runtime against plain forward passes. */
@Command(name = "ig", mixinStandardHelpOptions = true,
        description = "IG-50 as batched forward+backward runs against 50 plain forward passes on the demo model "
                + "(or --model), for several batch sizes.")
final class BenchIgCommand implements Callable<Integer> {
    @Option(names = "--batches", split = ",", defaultValue = "1,5,10,25,50",
            description = "Batch sizes to try (default: ${DEFAULT-VALUE}).")
    int[] batches;

    @Override
    public Integer call() throws Exception {
        Path dir = Files.createTempDirectory("vlmscope-ig-bench");
        try {
            DemoCheckpoint.write(dir.resolve("checkpoint"));
            Path model = Exporter.export(dir.resolve("checkpoint"), dir.resolve("model"), ExportOptions.parse("fp32")).modelDir();
            NamedTensor pixels = NamedTensor.ofFloats("pixel_values", new long[] {1, 3, DemoCheckpoint.IMAGE_SIZE,
                    DemoCheckpoint.IMAGE_SIZE}, DemoCheckpoint.demoPixelValues());
            IgBenchmark.run(model, pixels, DemoCheckpoint.demoInputIds(), batches);
        } finally {
            Directories.deleteRecursively(dir);
        }
        return 0;
    }
}
