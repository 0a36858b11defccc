package org.vlmscope.exporter;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Path;
import org.vlmscope.exporter.config.HfConfigReader;

/**
 * LLaVA (LlavaForConditionalGeneration: a CLIP vision tower, a projector and a Llama, Mistral or Phi-3 language
 * model), the first family: its config reader is {@link HfConfigReader}, its layouts and specs come from the
 * models module, its graphs are {@link VisionGraph}, {@link EmbedGraph} and {@link DecoderGraph}.
 */
final class LlavaFamily implements ExportFamily {
    static final String ID = "llava";

    @Override
    public String id() {
        return ID;
    }

    @Override
    public String supported() {
        return HfConfigReader.LLAVA_SUPPORTED;
    }

    @Override
    public boolean claims(JsonNode config) {
        return HfConfigReader.isLlava(config);
    }

    @Override
    public FamilyCheckpoint open(Path checkpointDir, ExportOptions options) {
        return LlavaCheckpoint.open(checkpointDir, options.allowUnusedLayers());
    }
}
