package org.vlmscope.graph.locate;

import java.nio.file.Files;
import java.nio.file.Path;
import org.vlmscope.graph.OnnxModel;

/** The PyTorch-exported test graphs of testdata/foreign (made by make_foreign.py there). */
final class ForeignGraphs {
    private ForeignGraphs() {
    }

    static Path dir() {
        for (Path root = Path.of("").toAbsolutePath(); root != null; root = root.getParent()) {
            Path candidate = root.resolve("testdata").resolve("foreign");
            if (Files.isDirectory(candidate)) {
                return candidate;
            }
        }
        throw new IllegalStateException("testdata/foreign not found above " + Path.of("").toAbsolutePath());
    }

    static OnnxModel load(String relative) {
        return OnnxModel.load(dir().resolve(relative));
    }
}
