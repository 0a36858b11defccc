package org.vlmscope.cli;

import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.regex.Matcher;
import org.vlmscope.core.ModelManifest;
import org.vlmscope.core.VlmscopeException;
import org.vlmscope.core.vocab.HookName;
import org.vlmscope.graph.GraphException;
import org.vlmscope.graph.OnnxModel;
import org.vlmscope.graph.locate.HookLocator;
import org.vlmscope.graph.locate.Location;
import org.vlmscope.graph.Value;
import org.vlmscope.graph.passes.Hooks;
import org.vlmscope.runtime.image.ImageProcessor;
import org.vlmscope.runtime.image.Qwen2VlImageProcessor;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code vlmscope inspect}: what a model directory or one ONNX graph holds. Only the manifest and the graph
 * files are read, never the weight data, so inspecting a 7B model is instant.
 */
@Command(name = "inspect", mixinStandardHelpOptions = true,
        description = "Show a model directory's dims and, per graph, opset, nodes, inputs, outputs, weight size "
                + "and hooks; or the same for a single .onnx file, with the hooks located by structure in a graph "
                + "vlmscope did not write.")
final class InspectCommand implements Callable<Integer> {
    @Parameters(paramLabel = "MODEL_DIR|FILE.onnx", description = "A model directory written by 'vlmscope export', "
            + "or one ONNX graph.")
    Path path;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        if (Files.isDirectory(path)) {
            describeModelDir(out, path);
        } else if (Files.isRegularFile(path) && path.getFileName().toString().endsWith(".onnx")) {
            OnnxModel model = OnnxModel.load(path);
            out.printf("%s: graph '%s', ONNX IR %d%n", path, model.graph().name(), model.irVersion());
            if (Hooks.of(model).isEmpty()) {
                describeForeignGraph(out, path, model);
            } else {
                describeGraph(out, path.getFileName().toString(), model, Hooks.of(model));
            }
        } else if (!Files.exists(path)) {
            throw new VlmscopeException(path + ": no such file or directory");
        } else {
            throw new VlmscopeException(path + " is neither a model directory (with " + ModelManifest.FILE
                    + ") nor an .onnx file");
        }
        out.flush();
        return 0;
    }

    /** How a per-image grid is sized, from the model's preprocessor_config.json. */
    private static String gridRule(Path dir) {
        Path config = dir.resolve(ImageProcessor.CONFIG_FILE);
        return Files.isRegularFile(config) ? Qwen2VlImageProcessor.fromConfig(config).gridRule()
                : "no " + ImageProcessor.CONFIG_FILE + " in the model directory";
    }

    /** The manifest's summary, then every graph of the directory; shared with {@code demo}. */
    static void describeModelDir(PrintWriter out, Path dir) {
        ModelManifest m = ModelManifest.read(dir);
        ModelManifest.Dims d = m.dims();
        out.printf("model directory %s%n", dir);
        out.printf("  family %s, text model %s, dtype %s%n", m.family(), m.textModelType(), m.dtype());
        out.printf("  text:   %d layers, d_model %d, %d heads (%d kv, head_dim %d), vocab %d%n",
                d.layers(), d.dModel(), d.heads(), d.kvHeads(), d.headDim(), d.vocab());
        if (m.qwen2vl() == null) {
            out.printf("  vision: %d layers, d_model %d, image %d px, patch %d, grid %dx%d, %d visual tokens%n",
                    d.visionLayers(), d.visionDModel(), d.imageSize(), d.patchSize(), d.gridSize(), d.gridSize(),
                    d.visualTokens());
        } else {
            ModelManifest.Qwen2Vl q = m.qwen2vl();
            out.printf("  vision: %d layers, d_model %d, patch %d x %d frames, %dx%d patches per visual token, grid "
                    + "varies per image (%s); rotary sections %s%n", d.visionLayers(), d.visionDModel(),
                    d.patchSize(), q.temporalPatchSize(), q.spatialMergeSize(), q.spatialMergeSize(), gridRule(dir),
                    q.mropeSection());
        }
        out.printf("  tokens: image %d, bos %s, eos %s, pad %s%n", m.imageTokenId(), m.bosTokenId(),
                m.eosTokenIds(), m.padTokenId());
        if (m.source() != null) {
            out.printf("  source: %s (%s)%n", m.source().checkpoint(), m.source().fingerprint());
        }
        for (Map.Entry<String, ModelManifest.GraphEntry> g : m.graphs().entrySet()) {
            Path file = dir.resolve(g.getValue().file());
            if (!Files.isRegularFile(file)) {
                throw new VlmscopeException("model directory " + dir + " lacks " + g.getValue().file()
                        + ", the " + g.getKey() + " graph listed in " + ModelManifest.FILE);
            }
            out.println();
            describeGraph(out, g.getValue().file(), OnnxModel.load(file), g.getValue().hooks());
        }
    }

    static void describeGraph(PrintWriter out, String title, OnnxModel model, List<String> hooks) {
        long weights = model.weightBytes();
        out.printf("%s: opset %d, %d nodes, weights %s (%d bytes)%n", title, model.opset(),
                model.graph().nodes().size(), Units.bytes(weights), weights);
        // Graphs of ONNX IR < 4 list their initializers among the inputs; those are weights, not interface.
        printValues(out, "inputs", model.graph().inputs().stream().filter(v -> !v.isInitializer()).toList());
        printValues(out, "outputs", model.graph().outputs());
        out.printf("  hooks (%d):%n", hooks.size());
        HookNames.collapse(hooks).forEach(h -> out.println("    " + h));
    }

    /**
     * A graph vlmscope did not write: its interface, then the hooks the locator finds in a second copy (so the
     * node count is the file's), the tensor each names in layer 0 and after the last layer, and what is missing.
     */
    private static void describeForeignGraph(PrintWriter out, Path file, OnnxModel model) {
        OnnxModel located = OnnxModel.load(file);
        Location location;
        try {
            location = HookLocator.locate(located);
        } catch (GraphException e) {
            describeGraph(out, file.getFileName().toString(), model, List.of());
            out.println("  no hooks located: " + e.getMessage());
            return;
        }
        describeGraph(out, file.getFileName().toString(), model, Hooks.of(located));
        out.printf("  located by structure: %d layers%s; the tensors they name in layer 0 and after the last layer:%n",
                location.layers(), location.dModel() == null ? "" : ", d_model " + location.dModel());
        int width = location.tensors().keySet().stream().mapToInt(String::length).max().orElse(0);
        location.tensors().forEach((hook, tensor) -> {
            Matcher m = HookName.LAYER_INDEX.matcher(hook);
            if (!m.matches() || m.group(2).equals("0")) {
                out.printf("    %-" + width + "s  <- %s%n", hook, tensor);
            }
        });
        if (!location.unavailable().isEmpty()) {
            out.println("  not available:");
            location.unavailable().forEach((hook, why) -> out.printf("    %s: %s%n", hook, why));
        }
    }

    static void printValues(PrintWriter out, String what, List<Value> values) {
        List<HookNames.Group> groups = HookNames.collapse(values, Value::name,
                v -> v.type() == null ? "?" : v.type().toString());
        int width = groups.stream().mapToInt(g -> g.name().length()).max().orElse(0);
        out.printf("  %s (%d):%n", what, values.size());
        for (HookNames.Group g : groups) {
            out.printf("    %-" + width + "s  %s%n", g.name(), g.label());
        }
    }
}
