package org.vlmscope.exporter;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.function.ToLongFunction;
import org.vlmscope.core.CheckpointWeights;
import org.vlmscope.core.ModelManifest;
import org.vlmscope.core.TensorInfo;
import org.vlmscope.core.VlmscopeException;
import org.vlmscope.core.WeightSource;
import org.vlmscope.core.vocab.GraphNames;
import org.vlmscope.exporter.config.TextConfig;
import org.vlmscope.models.ArchitectureSpec;
import org.vlmscope.models.CheckpointLayout;

/**
 * What every family's checkpoint shares: its directory and tensors, tensors fetched with the shape config.json
 * implies, Linear modules found by role (whole or as rows of a fused module), and the check that config.json's layer
 * counts agree with the layers the tensors hold. A family's subclass adds its config, key layout and graphs.
 */
abstract class HfCheckpoint implements FamilyCheckpoint {
    final Path dir;
    final WeightSource weights;
    /** Where the text model, vision tower, projector and lm_head keys start in this checkpoint. */
    final CheckpointLayout layout;
    final ArchitectureSpec visionSpec;
    final ArchitectureSpec textSpec;
    /** The projector's modules (LLaVA's projector, Qwen2-VL's patch merger), named by the family's layout file. */
    final ArchitectureSpec projectorSpec;

    /**
     * {@code family}'s checkpoint in {@code dir}: its key layout detected from the tensor names, the vision tower and
     * language model described by the specs {@code visionSpec} and {@code textSpec} of models' arch/.
     */
    HfCheckpoint(Path dir, WeightSource weights, String family, String visionSpec, String textSpec) {
        this.dir = dir;
        this.weights = weights;
        this.layout = CheckpointLayout.detect(family, weights.names(), dir.toString());
        this.visionSpec = ArchitectureSpec.load(visionSpec);
        this.textSpec = ArchitectureSpec.load(textSpec);
        this.projectorSpec = new ArchitectureSpec(family + " projector", Map.of(), layout.projectorModules(), Map.of());
    }

    @Override
    public Path dir() {
        return dir;
    }

    @Override
    public WeightSource weights() {
        return weights;
    }

    /** The family's vision graph: pixels in, image_features out. */
    abstract void buildVision(LayerBuilder lb);

    /** The language model as the embed and decoder graphs read it. */
    abstract TextModel textModel();

    /** The vision graph of the family, then the embed and decoder graphs every family shares. */
    @Override
    public Map<String, GraphBuilder> graphs() {
        Map<String, GraphBuilder> graphs = new LinkedHashMap<>();
        graphs.put(GraphNames.VISION, builder(this::buildVision));
        graphs.put(GraphNames.EMBED, builder(lb -> EmbedGraph.build(lb, textModel())));
        graphs.put(GraphNames.DECODER, builder(lb -> DecoderGraph.build(lb, textModel())));
        return graphs;
    }

    /** The manifest's dims: the language model's from its config, the vision tower's and image grid's as given. */
    static ModelManifest.Dims dims(TextConfig t, int visionLayers, int visionDModel, int imageSize, int patchSize,
                                   int gridSize, int visualTokens) {
        return new ModelManifest.Dims(t.numLayers(), t.hiddenSize(), t.numHeads(), t.numKvHeads(), t.headDim(),
                t.intermediateSize(), t.vocabSize(), visionLayers, visionDModel, imageSize, patchSize, gridSize,
                visualTokens, t.maxPositionEmbeddings());
    }

    static Long bos(TextConfig t) {
        return t.bosTokenId() == null ? null : Long.valueOf(t.bosTokenId());
    }

    static List<Long> eos(TextConfig t) {
        return t.eosTokenIds() == null ? List.of() : t.eosTokenIds().stream().map(Integer::longValue).toList();
    }

    /** A graph built by {@code build} into a fresh LayerBuilder, with the hooks and metadata it recorded. */
    private GraphBuilder builder(Consumer<LayerBuilder> build) {
        return (ops, weightWriter) -> {
            LayerBuilder lb = new LayerBuilder(ops, weightWriter, this);
            build.accept(lb);
            return new BuiltGraph(List.copyOf(lb.hooks()), new LinkedHashMap<>(lb.metadata));
        };
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
     * Compares {@code key} (config.json's layer count for a tower, e.g. {@code text_config.num_hidden_layers}) with
     * the layer indices the checkpoint's tensors carry under {@code prefix} + the spec's layer path (e.g.
     * {@code language_model.model.layers.}). A count beyond the weights is refused, and so are layers the config
     * leaves out (their weights would have no place in the graph) unless {@code allowUnused}.
     */
    void checkLayers(String key, int configured, String prefix, ArchitectureSpec spec, boolean allowUnused) {
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
        String what = "config.json " + key + " " + configured;
        if (configured > present) {
            throw new VlmscopeException(what + " exceeds the " + present + " layers of the checkpoint " + dir
                    + " (" + layers + "0-" + (present - 1) + ")");
        }
        if (configured < present && !allowUnused) {
            List<String> unused = byLayer.tailMap(configured).values().stream().flatMap(List::stream).toList();
            throw new VlmscopeException(what + " leaves out layers " + configured + "-" + (present - 1) + " of the "
                    + "checkpoint " + dir + ": " + unused.size() + " weights would have no place in the graph ("
                    + layers + configured + "-" + (present - 1) + ".*, e.g. " + unused.get(0)
                    + "); fix config.json, or export anyway with --allow-unused-layers");
        }
    }

    /**
     * The checkpoint {@code create} makes of {@code dir}'s weights, once {@code check} accepts it; the weights are
     * closed when either fails.
     */
    static <C extends HfCheckpoint> C open(Path dir, Function<WeightSource, C> create, Consumer<C> check) {
        WeightSource weights = CheckpointWeights.open(dir);
        try {
            C checkpoint = create.apply(weights);
            check.accept(checkpoint);
            return checkpoint;
        } catch (RuntimeException e) {
            weights.close();
            throw e;
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
