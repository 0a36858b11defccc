package org.vlmscope.core;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.DirectoryStream;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.time.Instant;

/**
 * Temporary files beside a target, for writes that end with an atomic move into place. Java makes temp files
 * owner-only (0600); results are meant to be shared like any other file, so on POSIX systems they get 0644.
 *
 * <p>A writer killed before its move (kill -9, power loss) leaves its hidden temp file behind, possibly tens of
 * megabytes. The next write of the same target removes such leftovers: a temp file of that target older than
 * {@link #STALE_AFTER} that nobody holds a lock on. Writers that keep a temp file open for long
 * ({@link SafetensorsWriter}) lock it, so a live write in another process is never taken for a leftover.
 */
public final class TempFiles {
    /** Younger temp files may belong to a writer that has just created its file and not yet locked it. */
    static final Duration STALE_AFTER = Duration.ofSeconds(10);

    private TempFiles() {
    }

    /** A new temp file {@code .<target name>.<random><suffix>} in the target's directory; leftovers removed first. */
    public static Path beside(Path target, String suffix) throws IOException {
        Path dir = target.toAbsolutePath().getParent();
        String prefix = "." + target.getFileName() + ".";
        removeStale(dir, prefix, suffix);
        if (FileSystems.getDefault().supportedFileAttributeViews().contains("posix")) {
            return Files.createTempFile(dir, prefix, suffix,
                    PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-r--r--")));
        }
        return Files.createTempFile(dir, prefix, suffix);
    }

    /** Writes {@code bytes} to {@code target} through a temp file moved into place: never a partial target. */
    public static void replace(Path target, byte[] bytes) throws IOException {
        Path tmp = beside(target, ".tmp");
        try {
            Files.write(tmp, bytes);
            Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    private static void removeStale(Path dir, String prefix, String suffix) throws IOException {
        FileTime cutoff = FileTime.from(Instant.now().minus(STALE_AFTER));
        try (DirectoryStream<Path> leftovers = Files.newDirectoryStream(dir, p -> {
            String name = p.getFileName().toString();
            return name.startsWith(prefix) && name.endsWith(suffix) && name.length() > prefix.length() + suffix.length();
        })) {
            for (Path leftover : leftovers) {
                if (Files.isRegularFile(leftover) && Files.getLastModifiedTime(leftover).compareTo(cutoff) < 0
                        && unlocked(leftover)) {
                    Files.deleteIfExists(leftover);
                }
            }
        }
    }

    /** True when no process holds a lock on {@code file}: its writer is gone. */
    private static boolean unlocked(Path file) {
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.WRITE);
             FileLock lock = channel.tryLock()) {
            return lock != null;
        } catch (OverlappingFileLockException e) {
            return false; // this JVM is writing it
        } catch (IOException e) {
            return false; // cannot tell; leave it
        }
    }
}
