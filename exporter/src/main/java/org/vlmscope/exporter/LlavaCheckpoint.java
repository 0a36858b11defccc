package org.vlmscope.exporter;

import java.nio.file.Path;
import java.util.Map;
import org.vlmscope.core.ModelManifest;
import org.vlmscope.core.WeightSource;
import org.vlmscope.exporter.config.HfConfigReader;
import org.vlmscope.exporter.config.LlavaConfig;
import org.vlmscope.exporter.config.TextConfig;
import org.vlmscope.exporter.config.VisionConfig;

/**
 * A Hugging Face LLaVA checkpoint opened for export: its config (with HF defaults filled in), its tensors, the
 * key layout they use and the architecture specs of its vision tower and language model. Every tensor the
 * exporter takes is checked against the shape config.json implies.
 */
final class LlavaCheckpoint extends HfCheckpoint {
    /** The family's name in vlmscope.json and its key layouts' file, arch/llava.json. */
    static final String FAMILY = "llava";
    final LlavaConfig config;

    /** The vision tower's and language model's specs are named by their model_type. */
    private LlavaCheckpoint(Path dir, LlavaConfig config, WeightSource weights) {
        super(dir, weights, FAMILY, config.vision().modelType(), config.text().modelType());
        this.config = config;
    }

    /** The language model as the embed and decoder graphs read it: Llama-style positions, o_proj biased with q/k/v. */
    @Override
    TextModel textModel() {
        TextConfig t = config.text();
        return new TextModel(this, t, layout.text(), textSpec, layout.lmHead(), t.attentionBias(),
                TextModel.SEQUENTIAL_POSITIONS, config.imageTokenIndex());
    }

    @Override
    void buildVision(LayerBuilder lb) {
        VisionGraph.build(lb, this);
    }

    @Override
    public ModelManifest manifest(ExportOptions options, Map<String, ModelManifest.GraphEntry> graphs,
                                  ModelManifest.Source source) {
        LlavaConfig c = config;
        TextConfig t = c.text();
        VisionConfig v = c.vision();
        int grid = v.imageSize() / v.patchSize();
        int visual = grid * grid + (c.visionFeatureSelectStrategy().equals("full") ? 1 : 0);
        var dims = dims(t, v.numLayers(), v.hiddenSize(), v.imageSize(), v.patchSize(), grid, visual);
        ChatTemplateSource template = ChatTemplateSource.of(dir, t.modelType().equals("phi3") ? "llava-phi-3" : "llava-1.5");
        Long pad = c.padTokenId() != null ? Long.valueOf(c.padTokenId())
                : t.padTokenId() != null ? Long.valueOf(t.padTokenId()) : null;
        return new ModelManifest(ModelManifest.FORMAT, FAMILY, t.modelType(), options.dtypeName(), options.graphsOnly(), dims,
                c.imageTokenIndex(), bos(t), eos(t), pad,
                Map.of(template.family(), template.template()), graphs, source.withPromptTemplate(template.source()),
                null);
    }

    /**
     * Opens the checkpoint and checks that its layers and config.json agree before any graph is sized from the
     * config ({@link #checkLayers}).
     */
    static LlavaCheckpoint open(Path dir, boolean allowUnusedLayers) {
        LlavaConfig config = HfConfigReader.read(dir);
        return open(dir, weights -> new LlavaCheckpoint(dir, config, weights), ckpt -> {
            ckpt.checkLayers("text_config.num_hidden_layers", config.text().numLayers(), ckpt.layout.text(),
                    ckpt.textSpec, allowUnusedLayers);
            ckpt.checkLayers("vision_config.num_hidden_layers", config.vision().numLayers(), ckpt.layout.vision(),
                    ckpt.visionSpec, allowUnusedLayers);
        });
    }
}
