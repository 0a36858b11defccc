package org.vlmscope.core;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.vlmscope.core.SafetensorsWriter.NamedTensor;

/**
 * Fuzzing finding: a kill -9 during {@code run --cache} left a 64 MB hidden {@code .partial} file for good. The
 * next write of the same target now removes leftovers, but never a live write (locked or just created).
 */
class StaleTempFilesTest {
    @TempDir
    Path dir;

    private Path leftover(String name, long ageSeconds) throws IOException {
        Path file = Files.write(dir.resolve(name), new byte[4096]);
        Files.setLastModifiedTime(file, FileTime.from(Instant.now().minusSeconds(ageSeconds)));
        return file;
    }

    private static void write(Path target, float... values) {
        SafetensorsWriter.writeAll(target, Map.of(), List.of(NamedTensor.ofFloats("x", new long[] {values.length},
                values)));
    }

    @Test
    void aKilledWritersLeftoverIsRemovedByTheNextWrite() throws IOException {
        Path target = dir.resolve("cache.safetensors");
        Path stale = leftover(".cache.safetensors.12345.partial", 3600);
        Path young = leftover(".cache.safetensors.67890.partial", 0);
        Path otherTarget = leftover(".other.safetensors.111.partial", 3600);
        write(target, 1, 2, 3);
        assertFalse(Files.exists(stale), "the leftover of a dead writer is removed");
        assertTrue(Files.exists(young), "a temp file seconds old may be a writer that has not locked it yet");
        assertTrue(Files.exists(otherTarget), "only leftovers of the same target are touched");
        try (SafetensorsFile f = SafetensorsFile.open(target)) {
            assertArrayEquals(new float[] {1, 2, 3}, f.toFloatArray("x"));
        }
        try (Stream<Path> files = Files.list(dir)) {
            assertEquals(3, files.count(), "target, young and other leftovers; no temp file of this write");
        }
    }

    @Test
    void aLockedTempFileIsALiveWriteAndStays() throws IOException {
        Path target = dir.resolve("cache.safetensors");
        Path live = leftover(".cache.safetensors.222.partial", 3600);
        try (FileChannel channel = FileChannel.open(live, StandardOpenOption.WRITE);
             FileLock lock = channel.lock()) {
            write(target, 4);
            assertTrue(Files.exists(live), "a locked temp file belongs to a running writer");
        }
    }

    @Test
    void aFailedWriteKeepsTheGoodFileAndLeavesNoTempFile() throws IOException {
        Path target = dir.resolve("cache.safetensors");
        write(target, 5, 6);
        byte[] good = Files.readAllBytes(target);
        SafetensorsWriter writer = SafetensorsWriter.create(target, Map.of(),
                List.of(new SafetensorsWriter.TensorSpec("x", DType.F32, new long[] {4})));
        writer.write(java.nio.ByteBuffer.allocate(4));
        assertThrows(VlmscopeException.class, writer::close);
        assertArrayEquals(good, Files.readAllBytes(target));
        try (Stream<Path> files = Files.list(dir)) {
            assertEquals(List.of(target), files.toList());
        }
    }
}
