package org.vlmscope.runtime.image;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.vlmscope.core.ModelManifest;

/** The qwen2vl-dev golden fixture: the repository's testdata copy, and the manifest an export of it has. */
public final class QwenFixture {
    private QwenFixture() {
    }

    public static Path dir() {
        for (Path dir = Path.of("").toAbsolutePath(); dir != null; dir = dir.getParent()) {
            Path candidate = dir.resolve("testdata").resolve("golden").resolve("qwen2vl-dev");
            if (Files.isDirectory(candidate)) {
                return candidate;
            }
        }
        throw new IllegalStateException("testdata/golden/qwen2vl-dev not found above " + Path.of("").toAbsolutePath());
    }

    /** A manifest as the exporter writes it for qwen2vl-dev (the fields the runtime reads, from its config.json). */
    public static ModelManifest manifest() {
        ModelManifest.Dims dims = new ModelManifest.Dims(3, 64, 4, 2, 16, 112, 1250, 2, 48, 0, 14, 0, 0, 32768);
        return new ModelManifest(ModelManifest.FORMAT, "qwen2_vl", "qwen2", "float32", false, dims, 1244, 1240L,
                List.of(1241L), 1249L, Map.of(), Map.of(), null, new ModelManifest.Qwen2Vl(1242, 1243, 2, 2,
                List.of(2, 3, 3)));
    }
}
