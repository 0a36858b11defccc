package org.vlmscope.core;

import java.io.IOException;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;

/**
 * Temporary files beside a target, for writes that end with an atomic move into place. Java makes temp files
 * owner-only (0600); results are meant to be shared like any other file, so on POSIX systems they get 0644.
 */
public final class TempFiles {
    private TempFiles() {
    }

    public static Path beside(Path target, String suffix) throws IOException {
        Path dir = target.toAbsolutePath().getParent();
        String prefix = "." + target.getFileName() + ".";
        if (FileSystems.getDefault().supportedFileAttributeViews().contains("posix")) {
            return Files.createTempFile(dir, prefix, suffix,
                    PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-r--r--")));
        }
        return Files.createTempFile(dir, prefix, suffix);
    }
}
