package org.vlmscope.cli;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import org.vlmscope.core.BadArgumentException;
import org.vlmscope.experiments.dataset.AreaRange;
import org.vlmscope.experiments.dataset.CocoDataset;
import org.vlmscope.experiments.dataset.CocoFilter;
import org.vlmscope.experiments.dataset.DatasetSummary;
import org.vlmscope.experiments.dataset.ImageGeometry;
import org.vlmscope.runtime.text.PromptTemplates.Fidelity;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code vlmscope dataset coco}: the paper's COCO filter, crop and object cells, one JSON line per image. */
@Command(name = "coco", mixinStandardHelpOptions = true,
        description = "Filter a COCO instances file into a dataset: one JSON line per image of the 'images' list, "
                + "kept or not and why; kept images carry the target object, crop, grid, object cells and buffers.")
final class DatasetCocoCommand implements Callable<Integer> {
    @Option(names = "--annotations", required = true, paramLabel = "INSTANCES.json",
            description = "A COCO instances file (e.g. instances_train2017.json).")
    Path annotations;

    @Option(names = "--images", paramLabel = "DIR",
            description = "The images folder: each kept image's file is checked (present, JPEG or PNG, the size "
                    + "the annotations state); a failing one is rejected with the reason.")
    Path images;

    @Option(names = {"-o", "--output"}, required = true, paramLabel = "DATASET.jsonl", description = "Output file.")
    Path output;

    @Option(names = "--preset", defaultValue = "ablation", paramLabel = "ablation|lens",
            description = "ablation: at most 3 annotations, target area in (1000,2000); lens: exactly one "
                    + "annotation, area in [20000,30000] (default: ${DEFAULT-VALUE}).")
    String preset;

    @Option(names = "--max-annotations", paramLabel = "N", description = "Override the preset's annotation limit.")
    Integer maxAnnotations;

    @Option(names = "--area", paramLabel = "LO:HI",
            description = "Override the preset's area range: LO:HI keeps the preset's open or closed bounds; "
                    + "intervals such as (1000,2000) or [20000,30000] say them.")
    String area;

    @Option(names = "--fidelity", paramLabel = "paper|code", defaultValue = "paper",
            converter = PromptInput.FidelityConverter.class,
            description = "code: the paper's code (vertices outside the crop dropped, integer cells); paper: "
                    + "polygons clipped to the crop, exact cells (default: ${DEFAULT-VALUE}).")
    Fidelity fidelity;

    @Option(names = "--model", paramLabel = "MODEL_DIR",
            description = "Take the token grid and image geometry from this exported model (default: LLaVA-1.5's "
                    + "24x24 grid on the centre crop).")
    Path model;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        CocoFilter filter = filter();
        ImageGeometry geometry = model == null ? ImageGeometry.LLAVA_1_5 : ImageGeometry.of(model);
        PrintWriter err = spec.commandLine().getErr();
        DatasetSummary summary = CocoDataset.build(annotations,
                new CocoDataset.Options(filter, geometry, fidelity, images), output, ProgressRenderer.on(err));
        PrintWriter out = spec.commandLine().getOut();
        out.printf(Locale.ROOT, "%s: %d images, %d kept (grid %s, %s fidelity, at most %d annotations, area %s)%n",
                output, summary.considered(), summary.kept(), geometry.describe(),
                fidelity.name().toLowerCase(Locale.ROOT), filter.maxAnnotations(), filter.area());
        for (Map.Entry<String, Integer> e : summary.rejected().entrySet()) {
            out.printf(Locale.ROOT, "  rejected, %s: %d%n", e.getKey(), e.getValue());
        }
        return 0;
    }

    private CocoFilter filter() {
        CocoFilter base;
        try {
            base = CocoFilter.preset(preset);
        } catch (IllegalArgumentException e) {
            throw new BadArgumentException("--preset '" + preset + "' is not a preset: choose one of "
                    + CocoFilter.presets());
        }
        if (maxAnnotations != null && maxAnnotations < 1) {
            throw new BadArgumentException("--max-annotations " + maxAnnotations + ": expected at least 1");
        }
        return new CocoFilter(maxAnnotations == null ? base.maxAnnotations() : maxAnnotations,
                area == null ? base.area() : AreaRange.parse(area, base.area()));
    }
}
