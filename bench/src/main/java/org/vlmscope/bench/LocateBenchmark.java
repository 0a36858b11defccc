package org.vlmscope.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.vlmscope.core.Directories;
import org.vlmscope.core.vocab.HookName;
import org.vlmscope.graph.GraphException;
import org.vlmscope.graph.OnnxModel;
import org.vlmscope.graph.locate.HookLocator;
import org.vlmscope.graph.passes.AttentionBias;
import org.vlmscope.graph.passes.Expose;
import org.vlmscope.graph.passes.LogitLens;
import org.vlmscope.graph.passes.Pass;
import org.vlmscope.graph.passes.Patch;
import org.vlmscope.graph.synthetic.SyntheticDecoder;

/**
 * Locating hooks in, and rewriting, a real-size decoder graph laid out as PyTorch exports it (Llama-2-7B's shape,
 * {@link SyntheticDecoder}), whose weights file does not exist. Each round loads the graph file, locates the hooks,
 * applies every pass (expose all residual streams, patch the embeddings, an attention bias in every layer, a top-5
 * logit lens) and serialises the variant, as a run does in memory.
 */
public final class LocateBenchmark {
    /** One round: node counts before and after, and seconds to load + locate and to load + locate + rewrite. */
    public record Round(int nodesBefore, int nodesAfter, long bytesOut, double locateSeconds, double totalSeconds) {
    }

    /** The graph measured and the rounds; {@code weightsRead} is false when the weights file never came to exist. */
    public record Result(long graphBytes, long weightBytes, int layers, boolean weightsRead, List<Round> rounds) {
        public double bestTotal() {
            return rounds.stream().mapToDouble(Round::totalSeconds).min().orElse(Double.NaN);
        }
    }

    private LocateBenchmark() {
    }

    public static Result run(SyntheticDecoder.Shape shape, int rounds) {
        Path dir;
        try {
            dir = Files.createTempDirectory("vlmscope-locate-bench");
        } catch (IOException e) {
            throw new GraphException("cannot create a temporary directory: " + e.getMessage(), e);
        }
        try {
            Path file = dir.resolve("decoder.onnx");
            OnnxModel built = SyntheticDecoder.build(shape, SyntheticDecoder.Style.TORCH, dir);
            built.save(file);
            List<Integer> all = new ArrayList<>();
            for (int i = 0; i < shape.layers(); i++) {
                all.add(i);
            }
            List<Pass> passes = List.of(new Expose(List.of(HookName.EVERY_RESID_POST, HookName.residPre(0))),
                    new Patch(List.of(HookName.residPre(0))), new AttentionBias(all), new LogitLens(5, List.of()));
            List<Round> measured = new ArrayList<>();
            for (int round = 0; round < rounds; round++) {
                long t0 = System.nanoTime();
                OnnxModel model = OnnxModel.load(file);
                int before = model.graph().nodes().size();
                HookLocator.locate(model);
                long t1 = System.nanoTime();
                passes.forEach(p -> p.apply(model));
                byte[] bytes = model.toBytes();
                long t2 = System.nanoTime();
                measured.add(new Round(before, model.graph().nodes().size(), bytes.length, (t1 - t0) / 1e9,
                        (t2 - t0) / 1e9));
            }
            boolean read = Files.exists(dir.resolve("missing.data"));
            return new Result(Files.size(file), built.weightBytes(), shape.layers(), read, measured);
        } catch (IOException e) {
            throw new GraphException("locate benchmark: " + e.getMessage(), e);
        } finally {
            try {
                Directories.deleteRecursively(dir);
            } catch (IOException e) {
                // A leftover temporary directory does not change the figures.
            }
        }
    }
}
