package org.vlmscope.exporter;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Path;

/**
 * What the exporter needs from a model family (LLaVA now, Qwen2-VL next): which config.json it claims, and for a
 * checkpoint of it the config read with Hugging Face's defaults, the weights' key layout, the graph builders and
 * the manifest facts ({@link FamilyCheckpoint}). {@link ExportFamilies} picks one from config.json; the rest of
 * the exporter (staging, weight streaming, the manifest file) is shared and knows no family.
 */
interface ExportFamily {
    /** The family's name as vlmscope.json records it; the runtime picks its side of the family by it. */
    String id();

    /** What this family exports, for the message when no family claims a checkpoint. */
    String supported();

    /** Whether config.json, as written, is a checkpoint of this family (its model_type and architectures). */
    boolean claims(JsonNode config);

    /** Opens a checkpoint of this family for an export with {@code options}; the caller closes it. */
    FamilyCheckpoint open(Path checkpointDir, ExportOptions options);
}
