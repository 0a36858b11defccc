package org.vlmscope.experiments.records;

import com.fasterxml.jackson.core.JsonProcessingException;
import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import org.vlmscope.core.JsonErrors;
import org.vlmscope.core.VlmscopeException;

/**
 * {@code RESULTS/records.jsonl}: one {@link ExperimentRecord} per line. Each append writes the whole line,
 * newline included, in one write, so a killed process loses at most the line in flight; that line lacks its
 * newline, which is how a torn tail is told from a complete record. The file is also forced to disk at most
 * {@link #FORCE_INTERVAL_NANOS} apart (and on close), so a machine that goes down loses at most the last second
 * of records; forcing every line would cost a disk flush per record. A complete line that is not a
 * record is damage this class did not cause, and is reported rather than skipped.
 */
public final class RecordLog implements Closeable {
    public static final String FILE = "records.jsonl";
    static final long FORCE_INTERVAL_NANOS = 1_000_000_000L;

    /** What a scan found: the records' count, the length of the file up to the last whole line, a torn tail. */
    public record Scan(int records, long wholeBytes, boolean tornTail) {
    }

    /** A file's records in order, repeated identical records dropped. */
    public record Contents(List<ExperimentRecord> records, boolean tornTail) {
    }

    private final Path file;
    private final FileChannel channel;
    private long lastForce = System.nanoTime();

    private RecordLog(Path file, FileChannel channel) {
        this.file = file;
        this.channel = channel;
    }

    /**
     * Opens {@code file} for appending, creating it if absent. A torn last line is cut off first, so the next
     * record starts on a line of its own.
     */
    static RecordLog openForAppend(Path file, Scan scan) throws IOException {
        FileChannel channel = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
        try {
            if (channel.size() > scan.wholeBytes()) {
                channel.truncate(scan.wholeBytes());
                channel.force(true);
            }
            channel.position(scan.wholeBytes());
        } catch (IOException | RuntimeException e) {
            channel.close();
            throw e;
        }
        return new RecordLog(file, channel);
    }

    /** Appends the record as one line; once this returns, a kill of this process cannot lose it. */
    public synchronized void append(ExperimentRecord record) throws IOException {
        ByteBuffer line = ByteBuffer.wrap((RecordJson.line(record) + "\n").getBytes(StandardCharsets.UTF_8));
        while (line.hasRemaining()) {
            channel.write(line);
        }
        long now = System.nanoTime();
        if (now - lastForce >= FORCE_INTERVAL_NANOS) {
            channel.force(false);
            lastForce = now;
        }
    }

    public Path file() {
        return file;
    }

    @Override
    public synchronized void close() throws IOException {
        try {
            channel.force(false);
        } finally {
            channel.close();
        }
    }

    /**
     * Reads every whole line of {@code file} as a record, in order, handing each to {@code sink}; a last line
     * without its newline is the torn tail of a killed run and is not read. A missing file has no records.
     */
    public static Scan scan(Path file, Consumer<ExperimentRecord> sink) throws IOException {
        int count = 0;
        long wholeBytes = 0;
        try (InputStream in = new BufferedInputStream(Files.newInputStream(file), 1 << 16)) {
            ByteArrayOutputStream line = new ByteArrayOutputStream();
            for (int b; (b = in.read()) >= 0; ) {
                if (b != '\n') {
                    line.write(b);
                    continue;
                }
                count++;
                sink.accept(parse(file, count, line.toString(StandardCharsets.UTF_8)));
                wholeBytes += line.size() + 1;
                line.reset();
            }
            return new Scan(count, wholeBytes, line.size() > 0);
        } catch (NoSuchFileException e) {
            return new Scan(0, 0, false);
        }
    }

    /**
     * All records of {@code file} (see {@link #scan}); a record repeated with equal content is kept once, one
     * repeated with different content is an error.
     */
    public static Contents read(Path file) throws IOException {
        Map<String, ExperimentRecord> byKey = new LinkedHashMap<>();
        Scan scan = scan(file, record -> {
            ExperimentRecord earlier = byKey.putIfAbsent(record.key(), record);
            if (earlier != null && !earlier.equals(record)) {
                throw new VlmscopeException(file + ": two different records for " + record.key());
            }
        });
        return new Contents(new ArrayList<>(byKey.values()), scan.tornTail());
    }

    private static ExperimentRecord parse(Path file, int lineNumber, String line) {
        try {
            return RecordJson.parse(line);
        } catch (JsonProcessingException e) {
            throw new VlmscopeException(file + ":" + lineNumber + ": not a vlmscope record (" + JsonErrors.describe(e)
                    + ")");
        } catch (IOException | IllegalArgumentException e) {
            String reason = e.getMessage() == null ? e.toString() : e.getMessage().lines().findFirst().orElse("");
            throw new VlmscopeException(file + ":" + lineNumber + ": not a vlmscope record (" + reason + ")");
        }
    }
}
