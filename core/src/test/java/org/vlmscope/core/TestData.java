package org.vlmscope.core;

import java.nio.file.Files;
import java.nio.file.Path;

/** Locates the repository's test fixtures whatever directory the tests run from. */
final class TestData {
    private TestData() {
    }

    static Path golden() {
        for (Path dir = Path.of("").toAbsolutePath(); dir != null; dir = dir.getParent()) {
            Path candidate = dir.resolve("testdata").resolve("golden");
            if (Files.isDirectory(candidate)) {
                return candidate;
            }
        }
        throw new IllegalStateException("testdata/golden not found above " + Path.of("").toAbsolutePath());
    }
}
