package org.vlmscope.experiments.dataset;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedReader;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import org.vlmscope.core.TempFiles;
import org.vlmscope.core.JsonErrors;
import org.vlmscope.core.VlmscopeException;

/**
 * JSON-lines files of records: written to a temporary file beside the target and renamed into place when complete
 * (an interrupted run leaves no file that looks finished), read back with each bad line named.
 */
public final class JsonLines implements AutoCloseable {
    private static final ObjectMapper JSON = new ObjectMapper();

    private final Path target;
    private final Path temp;
    private final BufferedWriter out;
    private boolean committed;

    private JsonLines(Path target) {
        this.target = target;
        try {
            Path parent = target.toAbsolutePath().getParent();
            if (parent != null) {
                Files.createDirectories(parent);
            }
            this.temp = TempFiles.beside(target, ".tmp");
            this.out = Files.newBufferedWriter(temp, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new VlmscopeException("cannot write " + target + ": " + e.getMessage(), e);
        }
    }

    /** A writer that produces {@code target} on {@link #commit}; closing without committing removes the temp file. */
    public static JsonLines create(Path target) {
        return new JsonLines(target);
    }

    public void write(Object record) {
        try {
            out.write(JSON.writeValueAsString(record));
            out.write('\n');
        } catch (IOException e) {
            throw new VlmscopeException("cannot write " + target + ": " + e.getMessage(), e);
        }
    }

    /** Flushes and moves the finished file into place. */
    public void commit() {
        try {
            out.close();
            Files.move(temp, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            committed = true;
        } catch (IOException e) {
            throw new VlmscopeException("cannot write " + target + ": " + e.getMessage(), e);
        }
    }

    @Override
    public void close() {
        if (committed) {
            return;
        }
        try {
            out.close();
            Files.deleteIfExists(temp);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Every line of {@code file} as a {@code type}; a line that does not parse is named with its number. */
    public static <T> List<T> read(Path file, Class<T> type, String expected) {
        List<T> records = new ArrayList<>();
        try (BufferedReader in = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            String line;
            int number = 0;
            while ((line = in.readLine()) != null) {
                number++;
                if (line.isBlank()) {
                    continue;
                }
                try {
                    records.add(JSON.readValue(line, type));
                } catch (JsonProcessingException e) {
                    throw new VlmscopeException(file + ", line " + number + ": not " + expected + ": "
                            + JsonErrors.describe(e));
                }
            }
        } catch (NoSuchFileException e) {
            throw new VlmscopeException(file + " does not exist: expected " + expected + " (JSON lines)");
        } catch (IOException e) {
            throw new VlmscopeException("cannot read " + file + ": " + e.getMessage(), e);
        }
        return records;
    }
}
