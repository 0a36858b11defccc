package org.vlmscope.bench;

import java.io.PrintWriter;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import org.vlmscope.core.SafetensorsWriter.NamedTensor;
import org.vlmscope.runtime.run.Greedy;
import org.vlmscope.runtime.run.ImageTokens;
import org.vlmscope.runtime.session.Device;
import org.vlmscope.runtime.session.ModelSession;

/**
 * Greedy generation speed with and without the KV cache, and what memory does while the cache grows: the
 * process's resident memory and the Java heap against the size the cache itself must reach.
 */
public final class GenerationBenchmark {
    private static final double MIB = 1 << 20;

    private GenerationBenchmark() {
    }

    /** {@code threads}: ONNX Runtime intra-op threads, 0 for its default. */
    public static void run(PrintWriter out, Path modelDir, NamedTensor pixelValues, long[] prompt, int newTokens, int threads) {
        try (ModelSession session = ModelSession.open(modelDir, Device.CPU, threads, List.of())) {
            var d = session.manifest().dims();
            long[][] ids = {prompt};
            Greedy.run(session, pixelValues, ids, 2, Set.of()); // warm-up: sessions built, code compiled
            long rssBefore = residentBytes();
            long heapBefore = heapAfterGc();
            long t0 = System.nanoTime();
            Greedy.Generation cached = Greedy.run(session, pixelValues, ids, newTokens, Set.of());
            double cachedSeconds = (System.nanoTime() - t0) / 1e9;
            long rssAfter = residentBytes();
            long heapAfter = heapAfterGc();
            int promptLength = ImageTokens.expand(prompt, session.manifest().imageTokenId(), d.visualTokens()).length;
            long cacheBytes = 2L * d.layers() * d.kvHeads() * d.headDim() * (promptLength + newTokens)
                    * session.computeType().byteSize();
            out.printf(Locale.ROOT, "model: %d layers, d_model %d, vocab %d; prompt %d positions, %d new tokens, %s%n",
                    d.layers(), d.dModel(), d.vocab(), promptLength, newTokens, session.provider());
            out.printf(Locale.ROOT, "  with KV cache:    %6.2f s, %7.1f tokens/s%n", cachedSeconds, newTokens / cachedSeconds);
            t0 = System.nanoTime();
            Greedy.Generation full = Greedy.runWithoutCache(session, pixelValues, ids, newTokens, List.of());
            double fullSeconds = (System.nanoTime() - t0) / 1e9;
            out.printf(Locale.ROOT, "  without KV cache: %6.2f s, %7.1f tokens/s (%.1fx slower); same tokens: %s%n",
                    fullSeconds, newTokens / fullSeconds, fullSeconds / cachedSeconds,
                    java.util.Arrays.equals(cached.tokens()[0], full.tokens()[0]));
            out.printf(Locale.ROOT, "  memory over the cached run: KV cache at the end %.2f MiB; resident memory %+.2f MiB;"
                    + " Java heap after GC %+.2f MiB (the %d step logits kept for the caller: %.2f MiB)%n",
                    cacheBytes / MIB, (rssAfter - rssBefore) / MIB, (heapAfter - heapBefore) / MIB, newTokens,
                    newTokens * (double) d.vocab() * 4 / MIB);
        }
    }

    private static long heapAfterGc() {
        System.gc();
        return ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
    }

    /** VmRSS from /proc/self/status (Linux); -1 where it cannot be read. */
    private static long residentBytes() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith("VmRSS:")) {
                    return Long.parseLong(line.replaceAll("\\D", "")) * 1024;
                }
            }
        } catch (IOException | NumberFormatException e) {
            return -1;
        }
        return -1;
    }
}
