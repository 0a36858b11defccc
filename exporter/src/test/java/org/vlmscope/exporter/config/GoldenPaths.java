package org.vlmscope.exporter.config;

import java.nio.file.Files;
import java.nio.file.Path;

/** Locates the repository's and the shared fixtures whatever directory the tests run from. */
final class GoldenPaths {
    private GoldenPaths() {
    }

    static Path repoGolden() {
        for (Path dir = Path.of("").toAbsolutePath(); dir != null; dir = dir.getParent()) {
            Path candidate = dir.resolve("testdata").resolve("golden");
            if (Files.isDirectory(candidate)) {
                return candidate;
            }
        }
        throw new IllegalStateException("testdata/golden not found above " + Path.of("").toAbsolutePath());
    }

    /** The shared fixtures next to the checkout (../shared/golden), or /work/shared/golden. */
    static Path sharedGolden() {
        for (Path dir = Path.of("").toAbsolutePath(); dir != null; dir = dir.getParent()) {
            Path candidate = dir.resolve("shared").resolve("golden");
            if (Files.isDirectory(candidate)) {
                return candidate;
            }
        }
        return Path.of("/work/shared/golden");
    }
}
