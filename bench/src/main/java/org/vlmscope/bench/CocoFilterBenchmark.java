package org.vlmscope.bench;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.nio.file.Files;
import java.nio.file.Path;
import org.vlmscope.core.VlmscopeException;
import org.vlmscope.experiments.ProgressListener;
import org.vlmscope.experiments.dataset.CocoDataset;
import org.vlmscope.experiments.dataset.CocoFilter;
import org.vlmscope.experiments.dataset.DatasetSummary;
import org.vlmscope.experiments.dataset.ImageGeometry;
import org.vlmscope.runtime.text.PromptTemplates.Fidelity;

/**
 * Times {@code dataset coco} on a generated train2017-sized instances file: generation, then the filter with the
 * ablation preset in each fidelity, with the peak heap of each run. The caller chooses the heap (the target is
 * under a minute with {@code -Xmx1g}).
 */
public final class CocoFilterBenchmark {
    private CocoFilterBenchmark() {
    }

    /**
     * One filter run: its fidelity, wall time, the CPU time of the filtering thread (what the wall time would be
     * on an idle machine, less I/O waits), peak heap and what it kept.
     */
    public record Run(Fidelity fidelity, double seconds, double cpuSeconds, long peakHeapBytes,
            DatasetSummary summary) {
    }

    /** The generated file's size and generation time, and the timed runs. */
    public record Result(long fileBytes, double generateSeconds, long maxHeapBytes, Run paper, Run code) {
    }

    public static Result run(Path workDir, int images, int annotations, ProgressListener progress) {
        Path instances = workDir.resolve("instances_synthetic.json");
        long t0 = System.nanoTime();
        progress.report("generating instances", 0, 1);
        SyntheticInstances.write(instances, images, annotations, 2017);
        progress.report("generating instances", 1, 1);
        double generate = (System.nanoTime() - t0) / 1e9;
        long size;
        try {
            size = Files.size(instances);
        } catch (IOException e) {
            throw new VlmscopeException("cannot read " + instances + ": " + e.getMessage(), e);
        }
        Run paper = filter(instances, workDir.resolve("paper.jsonl"), Fidelity.PAPER, progress);
        Run code = filter(instances, workDir.resolve("code.jsonl"), Fidelity.CODE, progress);
        return new Result(size, generate, Runtime.getRuntime().maxMemory(), paper, code);
    }

    private static Run filter(Path instances, Path out, Fidelity fidelity, ProgressListener progress) {
        System.gc();
        for (MemoryPoolMXBean pool : ManagementFactory.getMemoryPoolMXBeans()) {
            pool.resetPeakUsage();
        }
        long cpu0 = ManagementFactory.getThreadMXBean().getCurrentThreadCpuTime();
        long t0 = System.nanoTime();
        DatasetSummary summary = CocoDataset.build(instances,
                new CocoDataset.Options(CocoFilter.ABLATION, ImageGeometry.LLAVA_1_5, fidelity, null), out, progress);
        double seconds = (System.nanoTime() - t0) / 1e9;
        double cpuSeconds = (ManagementFactory.getThreadMXBean().getCurrentThreadCpuTime() - cpu0) / 1e9;
        long peak = 0;
        for (MemoryPoolMXBean pool : ManagementFactory.getMemoryPoolMXBeans()) {
            if (pool.getType() == MemoryType.HEAP) {
                peak += pool.getPeakUsage().getUsed();
            }
        }
        return new Run(fidelity, seconds, cpuSeconds, peak, summary);
    }
}
