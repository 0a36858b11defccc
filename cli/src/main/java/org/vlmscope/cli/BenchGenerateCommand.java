package org.vlmscope.cli;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import org.vlmscope.core.Directories;
import org.vlmscope.core.SafetensorsWriter.NamedTensor;
import org.vlmscope.exporter.ExportOptions;
import org.vlmscope.exporter.Exporter;
import org.vlmscope.models.DemoCheckpoint;
import org.vlmscope.runtime.GenerationBenchmark;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code vlmscope bench generate}: greedy decoding on the demo model with and without the KV cache. */
@Command(name = "generate", mixinStandardHelpOptions = true,
        description = "Tokens/s of greedy generation on the demo model with and without the KV cache, and memory "
                + "growth against the cache's own size.")
final class BenchGenerateCommand implements Callable<Integer> {
    @Option(names = "--tokens", defaultValue = "200", description = "New tokens (default: ${DEFAULT-VALUE}).")
    int tokens;

    @Override
    public Integer call() throws Exception {
        Path dir = Files.createTempDirectory("vlmscope-generate-bench");
        try {
            DemoCheckpoint.write(dir.resolve("checkpoint"));
            Path model = Exporter.export(dir.resolve("checkpoint"), dir.resolve("model"), ExportOptions.parse("fp32")).modelDir();
            NamedTensor pixels = NamedTensor.ofFloats("pixel_values", new long[] {1, 3, DemoCheckpoint.IMAGE_SIZE,
                    DemoCheckpoint.IMAGE_SIZE}, DemoCheckpoint.demoPixelValues());
            GenerationBenchmark.run(model, pixels, DemoCheckpoint.demoInputIds(), tokens);
        } finally {
            Directories.deleteRecursively(dir);
        }
        return 0;
    }
}
