package org.vlmscope.exporter;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.vlmscope.core.CheckpointWeights;
import org.vlmscope.core.ModelManifest;
import org.vlmscope.core.WeightSource;
import org.vlmscope.core.vocab.GraphNames;
import org.vlmscope.exporter.config.HfConfigReader;
import org.vlmscope.exporter.config.LlavaConfig;
import org.vlmscope.exporter.config.TextConfig;
import org.vlmscope.exporter.config.VisionConfig;
import org.vlmscope.models.ArchitectureSpec;
import org.vlmscope.models.CheckpointLayout;

/**
 * A Hugging Face LLaVA checkpoint opened for export: its config (with HF defaults filled in), its tensors, the
 * key layout they use and the architecture specs of its vision tower and language model. Every tensor the
 * exporter takes is checked against the shape config.json implies.
 */
final class LlavaCheckpoint extends HfCheckpoint {
    final LlavaConfig config;
    final CheckpointLayout layout;
    final ArchitectureSpec visionSpec;
    final ArchitectureSpec textSpec;
    /** The projector's Linear modules, named by llava.json. */
    final ArchitectureSpec projectorSpec;

    private LlavaCheckpoint(Path dir, LlavaConfig config, WeightSource weights) {
        super(dir, weights);
        this.config = config;
        this.layout = CheckpointLayout.detect(LlavaFamily.ID, weights.names(), dir.toString());
        this.visionSpec = ArchitectureSpec.load(config.vision().modelType());
        this.textSpec = ArchitectureSpec.load(config.text().modelType());
        this.projectorSpec = new ArchitectureSpec("llava projector", Map.of(), layout.projectorModules(), Map.of());
    }

    /** The language model as the embed and decoder graphs read it: Llama-style positions, o_proj biased with q/k/v. */
    TextModel textModel() {
        TextConfig t = config.text();
        return new TextModel(this, t, layout.text(), textSpec, layout.lmHead(), t.attentionBias(),
                TextModel.SEQUENTIAL_POSITIONS);
    }

    @Override
    public Map<String, GraphBuilder> graphs() {
        Map<String, GraphBuilder> graphs = new LinkedHashMap<>();
        graphs.put(GraphNames.VISION, builder(lb -> VisionGraph.build(lb, this)));
        graphs.put(GraphNames.EMBED, builder(lb -> EmbedGraph.build(lb, textModel(), config.imageTokenIndex())));
        graphs.put(GraphNames.DECODER, builder(lb -> DecoderGraph.build(lb, textModel())));
        return graphs;
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
        Long pad = c.padTokenId() != null ? Long.valueOf(c.padTokenId())
                : t.padTokenId() != null ? Long.valueOf(t.padTokenId()) : null;
        return new ModelManifest(ModelManifest.FORMAT, LlavaFamily.ID, t.modelType(), options.dtypeName(), options.graphsOnly(), dims,
                c.imageTokenIndex(), bos(t), eos(t), pad,
                Map.of(template.family(), template.template()), graphs, source.withPromptTemplate(template.source()),
                null);
    }

    static Long bos(TextConfig t) {
        return t.bosTokenId() == null ? null : Long.valueOf(t.bosTokenId());
    }

    static List<Long> eos(TextConfig t) {
        return t.eosTokenIds() == null ? List.of() : t.eosTokenIds().stream().map(Integer::longValue).toList();
    }

    /**
     * Opens the checkpoint and checks that its layers and config.json agree before any graph is sized from the
     * config ({@link #checkLayers}).
     */
    static LlavaCheckpoint open(Path dir, boolean allowUnusedLayers) {
        LlavaConfig config = HfConfigReader.read(dir);
        WeightSource weights = CheckpointWeights.open(dir);
        try {
            LlavaCheckpoint ckpt = new LlavaCheckpoint(dir, config, weights);
            ckpt.checkLayers("text_config.num_hidden_layers", config.text().numLayers(), ckpt.layout.text(),
                    ckpt.textSpec, allowUnusedLayers);
            ckpt.checkLayers("vision_config.num_hidden_layers", config.vision().numLayers(), ckpt.layout.vision(),
                    ckpt.visionSpec, allowUnusedLayers);
            return ckpt;
        } catch (RuntimeException e) {
            weights.close();
            throw e;
        }
    }
}
