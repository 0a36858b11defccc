package org.vlmscope.exporter;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Path;
import org.vlmscope.exporter.config.Qwen2VlConfigReader;

/**
 * Qwen2-VL (Qwen2VLForConditionalGeneration: a ViT with 2-D rotary positions and a 2x2 patch merger, and a Qwen2
 * language model with multimodal rotary positions): its config reader is {@link Qwen2VlConfigReader}, its layouts and
 * specs come from the models module, its graphs are {@link Qwen2VlVisionGraph}, {@link EmbedGraph} and
 * {@link DecoderGraph} with {@code position_ids [3, batch, seq]}.
 */
final class Qwen2VlFamily implements ExportFamily {
    static final String ID = Qwen2VlConfigReader.MODEL_TYPE;

    @Override
    public String id() {
        return ID;
    }

    @Override
    public String supported() {
        return Qwen2VlConfigReader.SUPPORTED;
    }

    @Override
    public boolean claims(JsonNode config) {
        return Qwen2VlConfigReader.claims(config);
    }

    @Override
    public FamilyCheckpoint open(Path checkpointDir, ExportOptions options) {
        return Qwen2VlCheckpoint.open(checkpointDir, options.allowUnusedLayers());
    }
}
