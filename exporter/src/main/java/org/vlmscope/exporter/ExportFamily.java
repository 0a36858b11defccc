package org.vlmscope.exporter;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Path;
import java.util.function.Predicate;

/**
 * What the exporter needs from a model family (LLaVA, Qwen2-VL), as data: its name as vlmscope.json records it (the
 * runtime picks its side of the family by it), what it exports (for the message when no family claims a checkpoint),
 * which config.json it claims (its model_type and architectures), and how it opens a checkpoint into its config read
 * with Hugging Face's defaults, its key layout, graph builders and manifest facts ({@link FamilyCheckpoint}).
 * {@link ExportFamilies} picks one from config.json; the rest of the exporter (staging, weight streaming, the manifest
 * file) is shared and knows no family.
 */
record ExportFamily(String id, String supported, Predicate<JsonNode> claimed, Opener opener) {

    /** Opens a checkpoint of the family for an export with {@code options}; the caller closes it. */
    interface Opener {
        FamilyCheckpoint open(Path checkpointDir, ExportOptions options);
    }

    /** Whether config.json, as written, is a checkpoint of this family. */
    boolean claims(JsonNode config) {
        return claimed.test(config);
    }

    FamilyCheckpoint open(Path checkpointDir, ExportOptions options) {
        return opener.open(checkpointDir, options);
    }
}
