package org.vlmscope.bench;

import java.io.PrintWriter;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.stream.Stream;
import org.vlmscope.core.DType;
import org.vlmscope.core.Directories;
import org.vlmscope.core.VlmscopeException;
import org.vlmscope.exporter.ExportOptions;
import org.vlmscope.exporter.Exporter;
import org.vlmscope.models.RandomCheckpoint;

/**
 * Export throughput and memory on a generated multi-gigabyte checkpoint: run it with a small heap (for example
 * {@code -Xmx512m}) to show that an export streams its weights instead of holding them.
 *
 * <pre>ExportBenchmark [--gb 2.0] [--dir DIR] [--dtype fp16|fp32] [--keep]</pre>
 *
 * The checkpoint goes to DIR/checkpoint and the export to DIR/model. DIR must be new or empty, because it is
 * deleted afterwards unless {@code --keep}. The checkpoint was just written, so the export mostly reads it from
 * the page cache: the read rate is that of a warm cache, as when a model is exported right after download.
 */
public final class ExportBenchmark {
    /** Rates in decimal MB/s like disk figures; heap in MiB so that -Xmx512m reads as 512. */
    private static final double MB = 1e6;
    private static final double MIB = 1 << 20;
    /** Smaller than save_pretrained's 5 GB default so that even the 2 GB default run reads a sharded index. */
    private static final long SHARD_BYTES = 1_000_000_000L;

    private ExportBenchmark() {
    }

    /**
     * Generates a random checkpoint of about {@code gb} GB in {@code dir} (a temp dir when null), exports it and
     * prints sizes, rates and heap; deletes {@code dir} afterwards unless {@code keep}.
     */
    public static void run(PrintWriter out, double gb, Path dir, String dtype, boolean keep)
            throws IOException, InterruptedException {
        ExportOptions options = ExportOptions.parse(dtype);
        Path work = prepare(dir);
        try {
            measure(out, work.resolve("checkpoint"), work.resolve("model"), (long) (gb * 1e9), options);
        } finally {
            if (keep) {
                out.println("kept " + work);
            } else {
                Directories.deleteRecursively(work);
            }
        }
    }

    private static void measure(PrintWriter out, Path checkpoint, Path model, long target, ExportOptions options)
            throws InterruptedException, IOException {
        long start = System.nanoTime();
        long tensorBytes = RandomCheckpoint.write(checkpoint, target, DType.BF16, SHARD_BYTES);
        double genSeconds = seconds(start);
        long checkpointBytes = sizeOf(checkpoint, ".safetensors");
        out.printf(Locale.ROOT, "checkpoint: %s, %d shard(s), %d bytes on disk (%d bytes of BF16 tensors),"
                        + " generated in %.1f s (%.0f MB/s)%n", checkpoint, count(checkpoint, ".safetensors"),
                checkpointBytes, tensorBytes, genSeconds, checkpointBytes / MB / genSeconds);

        HeapSampler sampler = new HeapSampler();
        List<MemoryPoolMXBean> heapPools = ManagementFactory.getMemoryPoolMXBeans().stream()
                .filter(p -> p.getType() == MemoryType.HEAP).toList();
        heapPools.forEach(MemoryPoolMXBean::resetPeakUsage);
        sampler.start();
        start = System.nanoTime();
        Exporter.Result result = Exporter.export(checkpoint, model, options);
        double seconds = seconds(start);
        sampler.stop();
        long poolPeaks = heapPools.stream().mapToLong(p -> p.getPeakUsage().getUsed()).sum();

        out.printf(Locale.ROOT, "export (%s): %d tensors in %.2f s%n", options.dtypeName(), result.tensors(),
                seconds);
        out.printf(Locale.ROOT, "  read:    %d checkpoint bytes, %.0f MB/s%n", checkpointBytes,
                checkpointBytes / MB / seconds);
        out.printf(Locale.ROOT, "  written: %d exported weight bytes, %.0f MB/s (%d bytes in %s in all)%n",
                result.weightBytes(), result.weightBytes() / MB / seconds, sizeOf(model, ""), model);
        out.printf(Locale.ROOT, "heap: max %.0f MiB (Runtime.maxMemory), peak used %.0f MiB (sampled every %d"
                        + " ms), sum of heap pool peaks %.0f MiB%n", Runtime.getRuntime().maxMemory() / MIB,
                sampler.peak() / MIB, HeapSampler.SAMPLE_MILLIS, poolPeaks / MIB);
    }

    /** The benchmark directory, new or empty so that deleting it afterwards removes only what the run wrote. */
    private static Path prepare(Path dir) throws IOException {
        if (dir == null) {
            return Files.createTempDirectory("vlmscope-export-bench");
        }
        if (Files.exists(dir)) {
            try (Stream<Path> entries = Files.list(dir)) {
                if (entries.findAny().isPresent()) {
                    throw new VlmscopeException(dir + " is not empty; the benchmark deletes its directory afterwards,"
                            + " so give a new or empty one");
                }
            }
        }
        return Files.createDirectories(dir);
    }

    private static double seconds(long startNanos) {
        return (System.nanoTime() - startNanos) / 1e9;
    }

    private static long sizeOf(Path dir, String suffix) throws IOException {
        long total = 0;
        for (Path file : files(dir, suffix)) {
            total += Files.size(file);
        }
        return total;
    }

    private static long count(Path dir, String suffix) throws IOException {
        return files(dir, suffix).size();
    }

    private static List<Path> files(Path dir, String suffix) throws IOException {
        try (Stream<Path> walk = Files.walk(dir)) {
            return walk.filter(Files::isRegularFile).filter(f -> f.getFileName().toString().endsWith(suffix)).toList();
        }
    }

}
