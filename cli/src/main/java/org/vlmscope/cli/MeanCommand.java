package org.vlmscope.cli;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import org.vlmscope.core.BadArgumentException;
import org.vlmscope.experiments.mean.ImageFolder;
import org.vlmscope.experiments.mean.MeanVisualToken;
import org.vlmscope.runtime.session.ModelSession;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code vlmscope mean}: the mean visual token of an image folder, the ablation's replacement vector. */
@Command(name = "mean", mixinStandardHelpOptions = true,
        description = "Average the projector output (the visual tokens) over every token of every JPEG and PNG "
                + "under a folder (recursively), in double precision; write it as a one-tensor .safetensors that "
                + "'run --ablate-with' reads. Undecodable images are skipped and listed. For a model whose grid "
                + "varies per image (Qwen2-VL) it is the mean over all visual tokens of all images, so an image "
                + "with more tokens weighs more.")
final class MeanCommand implements Callable<Integer> {
    @Parameters(index = "0", paramLabel = "MODEL_DIR", description = "An exported model.")
    Path model;

    @Option(names = "--images", required = true, paramLabel = "DIR", description = "The image folder.")
    Path images;

    @Option(names = {"-o", "--output"}, required = true, paramLabel = "MEAN.safetensors", description = "Output file.")
    Path output;

    @Option(names = "--batch", defaultValue = "8", description = "Images per vision-graph call (default: ${DEFAULT-VALUE}).")
    int batch;

    @Mixin
    RuntimeOptions runtime;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        if (batch < 1) {
            throw new BadArgumentException("--batch " + batch + ": expected at least 1");
        }
        List<Path> files = ImageFolder.list(images);
        MeanVisualToken.Result r;
        try (ModelSession session = runtime.open(model, List.of())) {
            r = MeanVisualToken.compute(session, files, batch, ProgressRenderer.on(spec.commandLine().getErr()));
            runtime.announce(spec, session);
        }
        MeanVisualToken.write(r, output, Map.of("model", model.toAbsolutePath().normalize().toString(),
                "images_dir", images.toAbsolutePath().normalize().toString()));
        PrintWriter out = spec.commandLine().getOut();
        out.printf(Locale.ROOT, "%s: mean of %d visual tokens from %d images, %d values, L2 norm %.4f%n", output,
                r.tokens(), r.images(), r.mean().length, norm(r.mean()));
        for (Map.Entry<Path, String> e : r.skipped().entrySet()) {
            out.printf(Locale.ROOT, "  skipped %s: %s%n", e.getKey(), e.getValue());
        }
        return 0;
    }

    private static double norm(float[] v) {
        double s = 0;
        for (float x : v) {
            s += (double) x * x;
        }
        return Math.sqrt(s);
    }
}
