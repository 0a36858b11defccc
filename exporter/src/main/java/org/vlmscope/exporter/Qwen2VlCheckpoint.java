package org.vlmscope.exporter;

import ai.onnx.proto.OnnxMl.TensorProto.DataType;
import java.nio.file.Path;
import java.util.Map;
import org.vlmscope.core.ModelManifest;
import org.vlmscope.core.WeightSource;
import org.vlmscope.core.vocab.GraphNames;
import org.vlmscope.exporter.config.Qwen2VlConfig;
import org.vlmscope.exporter.config.Qwen2VlConfigReader;
import org.vlmscope.exporter.config.Qwen2VlVisionConfig;
import org.vlmscope.exporter.config.TextConfig;
import org.vlmscope.graph.TensorType;

/**
 * A Hugging Face Qwen2-VL checkpoint opened for export: its config (with HF 4.45 defaults filled in), its tensors in
 * either key layout, and the architecture specs of its vision tower, patch merger and Qwen2 language model.
 */
final class Qwen2VlCheckpoint extends HfCheckpoint {
    /** The family's name in vlmscope.json and its key layouts' file, arch/qwen2_vl.json. */
    static final String FAMILY = Qwen2VlConfigReader.MODEL_TYPE;
    /** Spec names under models' arch/: the vision tower and the language model. */
    private static final String VISION_SPEC = "qwen2_vl_vision";
    private static final String TEXT_SPEC = "qwen2";

    final Qwen2VlConfig config;

    /** The projector is the patch merger: its LayerNorm and two Linear modules, named by qwen2_vl.json. */
    private Qwen2VlCheckpoint(Path dir, Qwen2VlConfig config, WeightSource weights) {
        super(dir, weights, FAMILY, VISION_SPEC, TEXT_SPEC);
        this.config = config;
    }

    @Override
    void buildVision(LayerBuilder lb) {
        Qwen2VlVisionGraph.build(lb, this);
    }

    /**
     * The Qwen2 language model as the embed and decoder graphs read it: o_proj without a bias, and position_ids
     * [3, batch, sequence] (temporal, height, width) split over the rotary frequencies by mrope_section.
     */
    @Override
    TextModel textModel() {
        return new TextModel(this, config.text(), layout.text(), textSpec, layout.lmHead(), false,
                (lb, tc) -> Rotary.multimodalCosSin(lb, lb.graph.addInput(GraphNames.POSITION_IDS,
                        TensorType.of(DataType.INT64, 3, "batch", "sequence")), tc, config.mropeSection()),
                config.imageTokenId());
    }

    /**
     * The grid and visual token count of a Qwen2-VL image depend on the image, so dims.imageSize, gridSize and
     * visualTokens are 0 and the {@code qwen2vl} object carries what the runtime needs to derive them.
     */
    @Override
    public ModelManifest manifest(ExportOptions options, Map<String, ModelManifest.GraphEntry> graphs,
                                  ModelManifest.Source source) {
        TextConfig t = config.text();
        Qwen2VlVisionConfig v = config.vision();
        var dims = dims(t, v.depth(), v.embedDim(), 0, v.patchSize(), 0, 0);
        Long pad = t.padTokenId() == null ? null : Long.valueOf(t.padTokenId());
        var qwen2vl = new ModelManifest.Qwen2Vl(config.visionStartTokenId(), config.visionEndTokenId(),
                v.spatialMergeSize(), v.temporalPatchSize(), config.mropeSection());
        return new ModelManifest(ModelManifest.FORMAT, FAMILY, t.modelType(), options.dtypeName(),
                options.graphsOnly(), dims, config.imageTokenId(), bos(t), eos(t), pad,
                Map.of(), graphs, source.withPromptTemplate(PROMPT_TEMPLATE_SOURCE), qwen2vl);
    }

    /** Why the manifest lists no prompt template: Qwen2-VL's chat template is rendered by the runtime. */
    static final String PROMPT_TEMPLATE_SOURCE = "none: the runtime renders Qwen2-VL's chat template";

    /** Opens the checkpoint and checks its layer counts against config.json ({@link #checkLayers}). */
    static Qwen2VlCheckpoint open(Path dir, boolean allowUnusedLayers) {
        Qwen2VlConfig config = Qwen2VlConfigReader.read(dir);
        return open(dir, weights -> new Qwen2VlCheckpoint(dir, config, weights), ckpt -> {
            ckpt.checkLayers("num_hidden_layers", config.text().numLayers(), ckpt.layout.text(), ckpt.textSpec,
                    allowUnusedLayers);
            ckpt.checkLayers("vision_config.depth", config.vision().depth(), ckpt.layout.vision(), ckpt.visionSpec,
                    allowUnusedLayers);
        });
    }
}
