package org.vlmscope.exporter;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.vlmscope.core.VlmscopeException;
import org.vlmscope.exporter.config.HfConfigReader;
import org.vlmscope.exporter.config.Qwen2VlConfigReader;

/** The model families the exporter knows, and the choice of one from a checkpoint's config.json. */
final class ExportFamilies {
    /** Each family brings its own config reader, key layouts and graph builders. */
    private static final List<ExportFamily> ALL = List.of(
            new ExportFamily(LlavaCheckpoint.FAMILY, HfConfigReader.LLAVA_SUPPORTED, HfConfigReader::isLlava,
                    (dir, options) -> LlavaCheckpoint.open(dir, options.allowUnusedLayers())),
            new ExportFamily(Qwen2VlCheckpoint.FAMILY, Qwen2VlConfigReader.SUPPORTED, Qwen2VlConfigReader::claims,
                    (dir, options) -> Qwen2VlCheckpoint.open(dir, options.allowUnusedLayers())));

    private ExportFamilies() {
    }

    /** The family that claims {@code checkpointDir}'s config.json; an error naming what was found otherwise. */
    static ExportFamily of(Path checkpointDir) {
        JsonNode config = HfConfigReader.readJson(checkpointDir);
        for (ExportFamily f : ALL) {
            if (f.claims(config)) {
                return f;
            }
        }
        List<String> supported = new ArrayList<>();
        ALL.forEach(f -> supported.add(f.supported()));
        throw new VlmscopeException("unknown architecture " + HfConfigReader.architectureOf(config) + " in "
                + checkpointDir.resolve(HfConfigReader.CONFIG_FILE) + "; supported: " + String.join("; ", supported));
    }
}
