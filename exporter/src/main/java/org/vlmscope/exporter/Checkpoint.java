package org.vlmscope.exporter;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.BiConsumer;
import java.util.function.ToLongFunction;
import org.vlmscope.core.CheckpointWeights;
import org.vlmscope.core.ModelManifest;
import org.vlmscope.core.TensorInfo;
import org.vlmscope.core.VlmscopeException;
import org.vlmscope.core.WeightSource;
import org.vlmscope.core.vocab.GraphNames;
import org.vlmscope.exporter.config.HfConfigReader;
import org.vlmscope.exporter.config.LlavaConfig;
import org.vlmscope.exporter.config.TextConfig;
import org.vlmscope.exporter.config.VisionConfig;
import org.vlmscope.models.ArchitectureSpec;
import org.vlmscope.models.LlavaLayout;

/**
 * A Hugging Face LLaVA checkpoint opened for export: its config (with HF defaults filled in), its tensors, the
 * key layout they use and the architecture specs of its vision tower and language model. Every tensor the
 * exporter takes is checked against the shape config.json implies.
 */
final class Checkpoint implements FamilyCheckpoint {
    final Path dir;
    final LlavaConfig config;
    final WeightSource weights;
    final LlavaLayout layout;
    final ArchitectureSpec visionSpec;
    final ArchitectureSpec textSpec;
    /** The projector's Linear modules, named by llava.json. */
    final ArchitectureSpec projectorSpec;

    private Checkpoint(Path dir, LlavaConfig config, WeightSource weights) {
        this.dir = dir;
        this.config = config;
        this.weights = weights;
        this.layout = LlavaLayout.detect(weights.names(), dir.toString());
        this.visionSpec = ArchitectureSpec.load(config.vision().modelType());
        this.textSpec = ArchitectureSpec.load(config.text().modelType());
        this.projectorSpec = new ArchitectureSpec("llava projector", Map.of(), layout.projectorModules(), Map.of());
    }

    @Override
    public Path dir() {
        return dir;
    }

    @Override
    public WeightSource weights() {
        return weights;
    }

    @Override
    public Map<String, GraphBuilder> graphs() {
        Map<String, GraphBuilder> graphs = new LinkedHashMap<>();
        graphs.put(GraphNames.VISION, builder(VisionGraph::build));
        graphs.put(GraphNames.EMBED, builder(EmbedGraph::build));
        graphs.put(GraphNames.DECODER, builder(DecoderGraph::build));
        return graphs;
    }

    private GraphBuilder builder(BiConsumer<LayerBuilder, Checkpoint> build) {
        return (ops, weightWriter) -> {
            LayerBuilder lb = new LayerBuilder(ops, weightWriter, this);
            build.accept(lb, this);
            return new BuiltGraph(List.copyOf(lb.hooks()), new LinkedHashMap<>(lb.metadata));
        };
    }

    @Override
    public ModelManifest manifest(ExportOptions options, Map<String, ModelManifest.GraphEntry> graphs,
                                  ModelManifest.Source source) {
        LlavaConfig c = config;
        TextConfig t = c.text();
        VisionConfig v = c.vision();
        int grid = v.imageSize() / v.patchSize();
        int visual = grid * grid + (c.visionFeatureSelectStrategy().equals("full") ? 1 : 0);
        var dims = new ModelManifest.Dims(t.numLayers(), t.hiddenSize(), t.numHeads(), t.numKvHeads(), t.headDim(),
                t.intermediateSize(), t.vocabSize(), v.numLayers(), v.hiddenSize(), v.imageSize(), v.patchSize(), grid, visual,
                t.maxPositionEmbeddings());
        ChatTemplateSource template = ChatTemplateSource.of(dir, t.modelType().equals("phi3") ? "llava-phi-3" : "llava-1.5");
        List<Long> eos = t.eosTokenIds() == null ? List.of() : t.eosTokenIds().stream().map(Integer::longValue).toList();
        Long pad = c.padTokenId() != null ? Long.valueOf(c.padTokenId())
                : t.padTokenId() != null ? Long.valueOf(t.padTokenId()) : null;
        return new ModelManifest(ModelManifest.FORMAT, LlavaFamily.ID, t.modelType(), options.dtypeName(), options.graphsOnly(), dims,
                c.imageTokenIndex(), t.bosTokenId() == null ? null : Long.valueOf(t.bosTokenId()), eos, pad,
                Map.of(template.family(), template.template()), graphs, source.withPromptTemplate(template.source()),
                null);
    }

    /**
     * Opens the checkpoint and checks that its layers and config.json agree before any graph is sized from the
     * config: a layer count beyond the weights is refused, and so are layers the config leaves out (their weights
     * would have no place in the graph) unless {@code allowUnusedLayers}.
     */
    static Checkpoint open(Path dir, boolean allowUnusedLayers) {
        LlavaConfig config = HfConfigReader.read(dir);
        WeightSource weights = CheckpointWeights.open(dir);
        try {
            Checkpoint ckpt = new Checkpoint(dir, config, weights);
            ckpt.checkLayers("text_config", config.text().numLayers(), ckpt.layout.text(), ckpt.textSpec,
                    allowUnusedLayers);
            ckpt.checkLayers("vision_config", config.vision().numLayers(), ckpt.layout.vision(), ckpt.visionSpec,
                    allowUnusedLayers);
            return ckpt;
        } catch (RuntimeException e) {
            weights.close();
            throw e;
        }
    }

    @Override
    public TensorInfo tensor(String name, long... shape) {
        if (!weights.contains(name)) {
            throw new VlmscopeException("checkpoint " + dir + " has no tensor '" + name + "' (expected shape "
                    + Arrays.toString(shape) + " from config.json)");
        }
        TensorInfo info = weights.info(name);
        if (!Arrays.equals(info.shape(), shape)) {
            throw new VlmscopeException("tensor '" + name + "' in " + dir + " has shape "
                    + Arrays.toString(info.shape()) + " but config.json implies " + Arrays.toString(shape));
        }
        if (!info.dtype().isFloating()) {
            throw new VlmscopeException("tensor '" + name + "' in " + dir + " has dtype " + info.dtype()
                    + "; weights must be F32, F16 or BF16");
        }
        return info;
    }

    /**
     * Compares {@code section.num_hidden_layers} with the layer indices the checkpoint's tensors carry under
     * {@code prefix} + the spec's layer path (e.g. {@code language_model.model.layers.}).
     */
    private void checkLayers(String section, int configured, String prefix, ArchitectureSpec spec,
                             boolean allowUnused) {
        String template = spec.layer().values().iterator().next();
        String layers = prefix + template.substring(0, template.indexOf("{i}"));
        TreeMap<Integer, List<String>> byLayer = new TreeMap<>();
        for (String name : weights.names()) {
            int dot = name.indexOf('.', layers.length());
            if (name.startsWith(layers) && dot > layers.length()
                    && name.substring(layers.length(), dot).matches("\\d{1,9}")) {
                byLayer.computeIfAbsent(Integer.parseInt(name.substring(layers.length(), dot)),
                        i -> new ArrayList<>()).add(name);
            }
        }
        int present = byLayer.isEmpty() ? 0 : byLayer.lastKey() + 1;
        String key = "config.json " + section + ".num_hidden_layers " + configured;
        if (configured > present) {
            throw new VlmscopeException(key + " exceeds the " + present + " layers of the checkpoint " + dir
                    + " (" + layers + "0-" + (present - 1) + ")");
        }
        if (configured < present && !allowUnused) {
            List<String> unused = byLayer.tailMap(configured).values().stream().flatMap(List::stream).toList();
            throw new VlmscopeException(key + " leaves out layers " + configured + "-" + (present - 1) + " of the "
                    + "checkpoint " + dir + ": " + unused.size() + " weights would have no place in the graph ("
                    + layers + configured + "-" + (present - 1) + ".*, e.g. " + unused.get(0)
                    + "); fix config.json, or export anyway with --allow-unused-layers");
        }
    }

    boolean has(String name) {
        return weights.contains(name);
    }

    /**
     * The Linear module of {@code role} in layer {@code layer} with {@code in} input features: its own weight,
     * or its rows inside a fused module, whose roles are packed row-wise in spec order. {@code rowsOf} gives the
     * output size of each role. The bias is taken when present, or required when {@code biasRequired}.
     */
    LinearRef linear(ArchitectureSpec spec, String prefix, String role, int layer, long in,
                     ToLongFunction<String> rowsOf, boolean biasRequired) {
        String module = spec.layerModule(role, layer);
        if (module != null) {
            long out = rowsOf.applyAsLong(role);
            TensorInfo w = tensor(prefix + module + ".weight", out, in);
            return new LinearRef(w, bias(prefix + module + ".bias", out, biasRequired), 0, out);
        }
        ArchitectureSpec.FusedPart part = spec.fusedPart(role, layer);
        if (part == null) {
            throw new VlmscopeException("architecture spec '" + spec.family() + "' has no module for role '" + role + "'");
        }
        long start = 0;
        long total = 0;
        for (int i = 0; i < part.roles().size(); i++) {
            long rows = rowsOf.applyAsLong(part.roles().get(i));
            if (i < part.index()) {
                start += rows;
            }
            total += rows;
        }
        TensorInfo w = tensor(prefix + part.module() + ".weight", total, in);
        TensorInfo b = bias(prefix + part.module() + ".bias", total, biasRequired);
        return new LinearRef(w, b, start, rowsOf.applyAsLong(role));
    }

    private TensorInfo bias(String name, long size, boolean required) {
        if (!required && !weights.contains(name)) {
            return null;
        }
        return tensor(name, size);
    }

    @Override
    public void close() {
        weights.close();
    }
}
