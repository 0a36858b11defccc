package org.vlmscope.cli;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Callable;
import org.vlmscope.core.vocab.MetadataKeys;
import org.vlmscope.core.vocab.GraphNames;
import org.vlmscope.core.vocab.HookName;
import org.vlmscope.core.BadArgumentException;
import org.vlmscope.graph.ExternalData;
import org.vlmscope.graph.GraphException;
import org.vlmscope.graph.OnnxModel;
import org.vlmscope.graph.Value;
import org.vlmscope.graph.locate.HookLocator;
import org.vlmscope.graph.locate.Location;
import org.vlmscope.graph.passes.AttentionBias;
import org.vlmscope.graph.passes.Hooks;
import org.vlmscope.graph.passes.Expose;
import org.vlmscope.graph.passes.Gradient;
import org.vlmscope.graph.passes.LogitLens;
import org.vlmscope.graph.passes.Pass;
import org.vlmscope.graph.passes.Patch;
import org.vlmscope.graph.passes.SurgeryLog;
import org.vlmscope.runtime.intervene.LensRequest;
import org.vlmscope.runtime.intervene.Positions;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code vlmscope surgery}: the rewrites a run builds in memory, written to a file any ONNX Runtime can load.
 * The weights are not copied: the new graph references the input's external data from wherever it is written.
 */
@Command(name = "surgery", mixinStandardHelpOptions = true, sortOptions = false,
        description = "Rewrite one ONNX graph exported by vlmscope, or a decoder graph from another exporter whose "
                + "hooks are located by structure (expose hooks, patch inputs, attention bias, logit lens) and write "
                + "it next to valid external data; print the inputs and outputs it added.")
final class SurgeryCommand implements Callable<Integer> {
    @Parameters(paramLabel = "IN.onnx", description = "A graph of a model directory, e.g. MODEL_DIR/decoder.onnx.")
    Path in;

    @Option(names = {"-o", "--output"}, paramLabel = "OUT.onnx", required = true,
            description = "Where to write the rewritten graph; its external data stays where it is and is referenced "
                    + "(through a link beside OUT.onnx when a relative path cannot reach it).")
    Path output;

    @Option(names = "--expose", paramLabel = "GLOB",
            description = "Make the matching hooks graph outputs, e.g. '" + HookName.EVERY_RESID_POST + "' (repeatable).")
    List<String> expose = new ArrayList<>();

    @Option(names = "--patch", paramLabel = "HOOK",
            description = "Add inputs HOOK.patch_value and HOOK.patch_mask; the graph then uses "
                    + "HOOK + mask * (value - HOOK) (repeatable).")
    List<String> patch = new ArrayList<>();

    @Option(names = "--grad", paramLabel = "WRT",
            description = "Append the backward graph: input grad.seed (the shape of logits), output grad.WRT, the "
                    + "gradient of sum(seed * logits) with respect to WRT (inputs_embeds or a hook).")
    String grad;

    @Option(names = "--attn-bias", paramLabel = "LAYERS",
            description = "Add an input " + GraphNames.ATTENTION_BIAS_TEMPLATE + ", broadcastable to [batch, heads, query, key], added to "
                    + "the attention scores before softmax in each of LAYERS (1-2, 0,3 or all).")
    String attnBias;

    @Mixin
    LensOptions lens;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        LensRequest lensRequest = lens.request();
        if (expose.isEmpty() && patch.isEmpty() && attnBias == null && lensRequest == null && grad == null) {
            throw new ParameterException(spec.commandLine(), "nothing to do: give --expose, --patch, --attn-bias, "
                    + "--lens or --grad");
        }
        OnnxModel model = OnnxModel.load(in);
        Location located = locateIfForeign(model, lensRequest);
        List<Pass> passes = passes(model, lensRequest);
        Set<String> inputsBefore = names(model.graph().inputs());
        Set<String> outputsBefore = names(model.graph().outputs());
        for (Pass p : passes) {
            // A pass refuses only what does not fit this graph (an unknown hook, a layer it lacks, a token
            // outside its vocabulary, a pass applied twice): the arguments are at fault, not the file.
            try {
                p.apply(model);
            } catch (GraphException e) {
                throw new BadArgumentException(e.getMessage());
            }
        }
        model.save(output);

        PrintWriter out = spec.commandLine().getOut();
        out.printf("wrote %s (%s)%n", output, String.join(", ", passes.stream().map(Pass::name).toList()));
        out.printf("  external data: %s%n", String.join(", ", dataFiles(model)));
        if (located != null) {
            out.printf("  hooks located by structure: %d layers (metadata %s)%n", located.layers(),
                    Location.METADATA_KEY);
        }
        printAdded(out, "inputs", model.graph().inputs(), inputsBefore);
        printAdded(out, "outputs", model.graph().outputs(), outputsBefore);
        out.printf("  metadata %s: %s%n", SurgeryLog.METADATA_KEY, model.metadata().get(SurgeryLog.METADATA_KEY));
        out.flush();
        return 0;
    }

    /**
     * The hooks of a graph vlmscope did not write, located by structure and written into it; null for a graph with
     * hooks of its own. A graph the locator cannot read is refused unless only a gradient is asked for.
     */
    private Location locateIfForeign(OnnxModel model, LensRequest lensRequest) {
        if (!Hooks.of(model).isEmpty()) {
            return null;
        }
        try {
            return HookLocator.locate(model);
        } catch (GraphException e) {
            if (expose.isEmpty() && patch.isEmpty() && attnBias == null && lensRequest == null) {
                return null;
            }
            throw new BadArgumentException(in + " has no hooks and the locator cannot find them: " + e.getMessage());
        }
    }

    /** The passes in the order a run applies them (expose, patch, bias, lens, gradient), so the file is the run's variant. */
    private List<Pass> passes(OnnxModel model, LensRequest lensRequest) {
        List<Pass> passes = new ArrayList<>();
        if (!expose.isEmpty()) {
            passes.add(new Expose(expose));
        }
        if (!patch.isEmpty()) {
            passes.add(new Patch(patch));
        }
        if (attnBias != null) {
            int[] layers;
            try {
                layers = Positions.parseLayers(attnBias, layers(model));
            } catch (BadArgumentException e) {
                throw new BadArgumentException("--attn-bias " + attnBias + ": " + e.getMessage());
            }
            passes.add(new AttentionBias(Arrays.stream(layers).boxed().toList()));
        }
        if (lensRequest != null) {
            passes.add(new LogitLens(lensRequest.k(), lensRequest.targets()));
        }
        if (grad != null) {
            passes.add(new Gradient(grad));
        }
        return passes;
    }

    /** The decoder's layer count, which {@code all} and the range check need. */
    private int layers(OnnxModel model) {
        String layers = model.metadata().get(MetadataKeys.LAYERS);
        if (layers == null) {
            throw new BadArgumentException("--attn-bias needs a decoder graph exported by vlmscope; " + in
                    + " records no layer count (metadata vlmscope.layers)");
        }
        return Integer.parseInt(layers);
    }

    /** Lists the graph's values that were not there before, grouped by layer index like {@code inspect}. */
    private static void printAdded(PrintWriter out, String what, List<Value> values, Set<String> before) {
        InspectCommand.printValues(out, "added " + what,
                values.stream().filter(v -> !v.isInitializer() && !before.contains(v.name())).toList());
    }

    /** Where the written graph's external data lives, as its references spell it (relative to OUT.onnx). */
    private static List<String> dataFiles(OnnxModel model) {
        Set<String> files = new LinkedHashSet<>();
        for (Value v : model.graph().initializers()) {
            String location = ExternalData.field(v.initializer(), "location");
            if (location != null) {
                files.add(location);
            }
        }
        return files.isEmpty() ? List.of("none (all weights inline)") : List.copyOf(files);
    }

    private static Set<String> names(List<Value> values) {
        Set<String> names = new LinkedHashSet<>();
        values.forEach(v -> names.add(v.name()));
        return names;
    }
}
