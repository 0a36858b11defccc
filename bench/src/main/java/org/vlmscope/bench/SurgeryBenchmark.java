package org.vlmscope.bench;

import java.io.PrintWriter;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.vlmscope.core.Directories;
import org.vlmscope.core.vocab.HookName;
import org.vlmscope.exporter.ExportOptions;
import org.vlmscope.exporter.Exporter;
import org.vlmscope.graph.OnnxModel;
import org.vlmscope.graph.passes.AttentionBias;
import org.vlmscope.graph.passes.Expose;
import org.vlmscope.graph.passes.LogitLens;
import org.vlmscope.graph.passes.Pass;
import org.vlmscope.graph.passes.Patch;
import org.vlmscope.models.RandomCheckpoint;

/**
 * Surgery time and heap on a real-size decoder graph: LLaVA-1.5-7B's 32-layer, 4096-wide language model,
 * exported graphs-only from a sparse all-zero checkpoint, so the graph is real and no weight exists to read.
 * Each round loads decoder.onnx, applies every pass (expose all residual streams, patch the embeddings, an
 * attention bias in every layer, a top-5 logit lens) and serialises the variant, as a run does in memory.
 */
public final class SurgeryBenchmark {
    private static final double MIB = 1 << 20;

    private SurgeryBenchmark() {
    }

    public static void run(PrintWriter out, int rounds) throws IOException, InterruptedException {
        Path dir = Files.createTempDirectory("vlmscope-surgery-bench");
        try {
            long start = System.nanoTime();
            RandomCheckpoint.writeZerosOfLlava7bShape(dir.resolve("checkpoint"));
            Exporter.Result export = Exporter.export(dir.resolve("checkpoint"), dir.resolve("model"),
                    ExportOptions.parse("fp16").withGraphsOnly(true));
            Path decoder = export.modelDir().resolve("decoder.onnx");
            out.printf(Locale.ROOT, "graph: %s, %d bytes, %d layers x %d wide; references %.1f GB of weights"
                            + " (never read); made in %.1f s%n", decoder, Files.size(decoder),
                    export.manifest().dims().layers(), export.manifest().dims().dModel(), export.weightBytes() / 1e9,
                    (System.nanoTime() - start) / 1e9);

            int layers = export.manifest().dims().layers();
            List<Integer> all = new ArrayList<>();
            for (int i = 0; i < layers; i++) {
                all.add(i);
            }
            List<Pass> passes = List.of(new Expose(List.of(HookName.EVERY_RESID_POST, HookName.residPre(0))),
                    new Patch(List.of(HookName.residPre(0))), new AttentionBias(all), new LogitLens(5, List.of()));
            double best = Double.MAX_VALUE;
            for (int round = 1; round <= rounds; round++) {
                System.gc();
                long before = ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
                HeapSampler sampler = new HeapSampler();
                sampler.start();
                long t0 = System.nanoTime();
                OnnxModel model = OnnxModel.load(decoder);
                int nodesBefore = model.graph().nodes().size();
                passes.forEach(p -> p.apply(model));
                byte[] bytes = model.toBytes();
                double seconds = (System.nanoTime() - t0) / 1e9;
                sampler.stop();
                best = Math.min(best, seconds);
                out.printf(Locale.ROOT, "round %d: %d -> %d nodes, %d bytes out, %.3f s, peak heap %.0f MiB"
                                + " (%.0f MiB above the idle heap)%n", round, nodesBefore, model.graph().nodes().size(),
                        bytes.length, seconds, sampler.peak() / MIB, (sampler.peak() - before) / MIB);
            }
            out.printf(Locale.ROOT, "surgery: best %.3f s (goal < 1 s); heap max %.0f MiB (Runtime.maxMemory)%n",
                    best, Runtime.getRuntime().maxMemory() / MIB);
        } finally {
            Directories.deleteRecursively(dir);
        }
    }
}
