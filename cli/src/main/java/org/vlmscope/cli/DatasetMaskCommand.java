package org.vlmscope.cli;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import org.vlmscope.core.VlmscopeException;
import org.vlmscope.experiments.dataset.DatasetFile;
import org.vlmscope.experiments.dataset.MaskedImages;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code vlmscope dataset mask}: the noise-masked crops of the hallucination filter, as PNGs to look at. */
@Command(name = "mask", mixinStandardHelpOptions = true,
        description = "Write the centre crop of every kept image with seeded uniform noise in its object cells "
                + "(code fidelity: one noise block per image reused in every cell), as DIR2/<image>.png.")
final class DatasetMaskCommand implements Callable<Integer> {
    @Parameters(index = "0", paramLabel = "DATASET.jsonl", description = "Made by 'vlmscope dataset coco'.")
    Path dataset;

    @Option(names = "--images", required = true, paramLabel = "DIR", description = "The images folder.")
    Path images;

    @Option(names = {"-o", "--output"}, required = true, paramLabel = "DIR2", description = "Output folder.")
    Path output;

    @Option(names = "--seed", defaultValue = "0", description = "Noise seed (default: ${DEFAULT-VALUE}).")
    long seed;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        PrintWriter err = spec.commandLine().getErr();
        MaskedImages.Report r = MaskedImages.write(DatasetFile.read(dataset), images, output, seed,
                ProgressRenderer.on(err));
        PrintWriter out = spec.commandLine().getOut();
        out.printf(Locale.ROOT, "%s: %d masked images written%n", output, r.written());
        for (Map.Entry<Long, String> e : r.failed().entrySet()) {
            out.printf(Locale.ROOT, "  image %d not masked: %s%n", e.getKey(), e.getValue());
        }
        out.flush();
        if (!r.failed().isEmpty()) {
            throw new VlmscopeException(r.failed().size() + " of " + (r.written() + r.failed().size())
                    + " kept images could not be masked (listed above); the others were written");
        }
        return 0;
    }
}
