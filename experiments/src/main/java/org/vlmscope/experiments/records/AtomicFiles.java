package org.vlmscope.experiments.records;

import java.io.IOException;
import java.nio.file.Path;
import org.vlmscope.core.TempFiles;

/** Whole-file writes that a reader never sees half done: a temp file beside the target, then a rename. */
public final class AtomicFiles {
    private AtomicFiles() {
    }

    public static void write(Path target, byte[] content) throws IOException {
        TempFiles.replace(target, content);
    }
}
