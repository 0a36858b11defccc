package org.vlmscope.runtime.image;

import java.nio.file.Files;
import java.nio.file.Path;

/** The qwen2vl-dev golden fixture: the repository's testdata copy. */
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
        // Until the exporter branch adds the repository copy.
        Path shared = Path.of("/work/shared/golden/qwen2vl-dev");
        if (Files.isDirectory(shared)) {
            return shared;
        }
        throw new IllegalStateException("testdata/golden/qwen2vl-dev not found above " + Path.of("").toAbsolutePath());
    }
}
