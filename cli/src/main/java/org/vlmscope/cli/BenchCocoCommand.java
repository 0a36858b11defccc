package org.vlmscope.cli;

import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;
import org.vlmscope.core.Directories;
import org.vlmscope.bench.CocoFilterBenchmark;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code vlmscope bench coco}: the COCO filter on a generated train2017-sized instances file. */
@Command(name = "coco", mixinStandardHelpOptions = true,
        description = "Generate a train2017-sized COCO instances file (about 450 MB) in a temporary folder and time "
                + "'dataset coco' on it in both fidelities; run with VLMSCOPE_JAVA_OPTS=-Xmx1g.")
final class BenchCocoCommand implements Callable<Integer> {
    @Option(names = "--images", defaultValue = "118287", description = "Images (default: ${DEFAULT-VALUE}).")
    int images;

    @Option(names = "--annotations", defaultValue = "860001", description = "Annotations (default: ${DEFAULT-VALUE}).")
    int annotations;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        Path dir = Files.createTempDirectory("vlmscope-coco-bench");
        try {
            CocoFilterBenchmark.Result r = CocoFilterBenchmark.run(dir, images, annotations,
                    ProgressRenderer.on(spec.commandLine().getErr()));
            PrintWriter out = spec.commandLine().getOut();
            out.printf(Locale.ROOT, "instances: %d images, %d annotations, %.0f MB, generated in %.1f s; max heap %d MiB%n",
                    images, annotations, r.fileBytes() / 1e6, r.generateSeconds(), r.maxHeapBytes() >> 20);
            for (CocoFilterBenchmark.Run run : new CocoFilterBenchmark.Run[] {r.paper(), r.code()}) {
                out.printf(Locale.ROOT, "dataset coco, %s fidelity: %.1f s wall, %.1f s CPU (%.0f MB/s of CPU), "
                                + "peak heap %d MiB, %d of %d images kept%n",
                        run.fidelity().name().toLowerCase(Locale.ROOT), run.seconds(), run.cpuSeconds(),
                        r.fileBytes() / 1e6 / run.cpuSeconds(), run.peakHeapBytes() >> 20, run.summary().kept(),
                        run.summary().considered());
            }
        } finally {
            Directories.deleteRecursively(dir);
        }
        return 0;
    }
}
