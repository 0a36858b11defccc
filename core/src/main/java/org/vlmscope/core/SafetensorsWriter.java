package org.vlmscope.core;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * Writes a safetensors file by streaming: the header is fixed by the tensor specs and written first,
 * then the caller pushes the data bytes of the tensors, in spec order, in chunks of any size. Memory
 * stays bounded by the caller's chunks. Everything goes to a temporary file in the same directory
 * that {@link #close()} moves into place only when exactly the declared byte count arrived, so a
 * failed write never leaves a corrupt file nor destroys an existing one.
 */
public final class SafetensorsWriter implements AutoCloseable {
    private static final ObjectMapper JSON = new ObjectMapper();

    /** The name, dtype and shape of a tensor to be written. */
    public record TensorSpec(String name, DType dtype, long[] shape) {
        public TensorSpec {
            Objects.requireNonNull(name, "name");
            Objects.requireNonNull(dtype, "dtype");
            shape = Shapes.checkedCopy(name, shape);
        }

        @Override
        public long[] shape() {
            return shape.clone();
        }

        public long byteLength() {
            return Math.multiplyExact(Shapes.numel(shape), (long) dtype.byteSize());
        }

        @Override
        public boolean equals(Object other) {
            return other instanceof TensorSpec that && name.equals(that.name) && dtype == that.dtype
                    && Arrays.equals(shape, that.shape);
        }

        @Override
        public int hashCode() {
            return Objects.hash(name, dtype, Arrays.hashCode(shape));
        }

        @Override
        public String toString() {
            return name + " " + dtype + " " + Arrays.toString(shape);
        }
    }

    /** A tensor held in memory, for {@link #writeAll}; {@code data}'s remaining bytes are its contents. */
    public record NamedTensor(String name, DType dtype, long[] shape, ByteBuffer data) {
        public NamedTensor {
            Objects.requireNonNull(data, "data");
            TensorSpec spec = new TensorSpec(name, dtype, shape);
            shape = spec.shape;
            if (data.remaining() != spec.byteLength()) {
                throw new IllegalArgumentException("tensor " + name + ": " + dtype + " x shape "
                        + Arrays.toString(shape) + " = " + spec.byteLength() + " bytes but the buffer holds "
                        + data.remaining());
            }
        }

        public static NamedTensor ofFloats(String name, long[] shape, float[] values) {
            ByteBuffer bytes = ByteBuffer.allocate(values.length * Float.BYTES).order(ByteOrder.LITTLE_ENDIAN);
            bytes.asFloatBuffer().put(values);
            return new NamedTensor(name, DType.F32, shape, bytes);
        }

        public static NamedTensor ofLongs(String name, long[] shape, long[] values) {
            ByteBuffer bytes = ByteBuffer.allocate(values.length * Long.BYTES).order(ByteOrder.LITTLE_ENDIAN);
            bytes.asLongBuffer().put(values);
            return new NamedTensor(name, DType.I64, shape, bytes);
        }

        @Override
        public long[] shape() {
            return shape.clone();
        }

        public TensorSpec spec() {
            return new TensorSpec(name, dtype, shape);
        }

        /** The values as floats, whatever the floating storage type (F32, F16, BF16, F64). */
        public float[] toFloatArray() {
            return TensorConversion.toFloats(data, dtype, name);
        }

        @Override
        public boolean equals(Object other) {
            return other instanceof NamedTensor that && name.equals(that.name) && dtype == that.dtype
                    && Arrays.equals(shape, that.shape) && data.equals(that.data);
        }

        @Override
        public int hashCode() {
            return Objects.hash(name, dtype, Arrays.hashCode(shape), data);
        }

        @Override
        public String toString() {
            return name + " " + dtype + " " + Arrays.toString(shape);
        }
    }

    private final Path target;
    private final Path temp;
    private final FileChannel channel;
    private final long expectedDataBytes;
    private long writtenDataBytes;
    private boolean finished;

    private SafetensorsWriter(Path target, Path temp, FileChannel channel, long expectedDataBytes) {
        this.target = target;
        this.temp = temp;
        this.channel = channel;
        this.expectedDataBytes = expectedDataBytes;
    }

    /**
     * Starts writing {@code file}: writes the header for {@code specs} (in that order, data consecutive)
     * and expects their data next, through {@link #write}.
     *
     * @param metadata the {@code __metadata__} string map, or null or empty for none
     */
    public static SafetensorsWriter create(Path file, Map<String, String> metadata, List<TensorSpec> specs) {
        byte[] header = header(file, metadata, specs);
        long dataBytes = 0;
        for (TensorSpec spec : specs) {
            dataBytes = Math.addExact(dataBytes, spec.byteLength());
        }
        Path absolute = file.toAbsolutePath();
        Path temp;
        FileChannel channel;
        try {
            temp = TempFiles.beside(absolute, ".partial");
        } catch (IOException e) {
            throw new VlmscopeException("cannot create a temporary file next to " + file + ": " + e, e);
        }
        try {
            channel = FileChannel.open(temp, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING);
        } catch (IOException e) {
            deleteQuietly(temp, null);
            throw new VlmscopeException("cannot write " + temp + ": " + e.getMessage(), e);
        }
        try {
            // Held until the channel closes: tells TempFiles this file is a live write, not a leftover.
            channel.lock();
        } catch (IOException e) {
            // A file system without locks: the age rule of TempFiles alone keeps this write from being removed.
        }
        SafetensorsWriter writer = new SafetensorsWriter(file, temp, channel, dataBytes);
        ByteBuffer prefix = ByteBuffer.allocate(8 + header.length).order(ByteOrder.LITTLE_ENDIAN);
        prefix.putLong(header.length).put(header).flip();
        writer.writeFully(prefix);
        return writer;
    }

    /** Writes whole in-memory tensors; their buffers are read without moving their positions. */
    public static void writeAll(Path file, Map<String, String> metadata, List<NamedTensor> tensors) {
        List<TensorSpec> specs = tensors.stream().map(NamedTensor::spec).toList();
        try (SafetensorsWriter writer = create(file, metadata, specs)) {
            for (NamedTensor tensor : tensors) {
                writer.write(tensor.data().duplicate());
            }
        }
    }

    /** Total data bytes the specs declare. */
    public long expectedDataBytes() {
        return expectedDataBytes;
    }

    /** Data bytes received so far. */
    public long writtenDataBytes() {
        return writtenDataBytes;
    }

    /** Appends the chunk's remaining bytes to the data section, consuming the chunk. */
    public void write(ByteBuffer chunk) {
        if (finished) {
            throw new IllegalStateException("writer for " + target + " is closed");
        }
        if (writtenDataBytes + chunk.remaining() > expectedDataBytes) {
            long attempted = writtenDataBytes + chunk.remaining();
            abort();
            throw new VlmscopeException(target + ": the tensors declare " + expectedDataBytes
                    + " data bytes but " + attempted + " were written; nothing was written");
        }
        int count = chunk.remaining();
        writeFully(chunk);
        writtenDataBytes += count;
    }

    /**
     * Appends {@code count} zero bytes by seeking past them: on file systems with sparse files they take no disk
     * space, so a multi-gigabyte checkpoint of zeros (for graphs-only exports and surgery benchmarks) is cheap.
     */
    public void writeZeros(long count) {
        if (count <= 0) {
            return;
        }
        if (writtenDataBytes + count > expectedDataBytes) {
            abort();
            throw new VlmscopeException(target + ": the tensors declare " + expectedDataBytes + " data bytes but "
                    + (writtenDataBytes + count) + " were written; nothing was written");
        }
        try {
            channel.position(channel.position() + count - 1);
        } catch (IOException e) {
            abort();
            throw new VlmscopeException("cannot write " + target + ": " + e.getMessage(), e);
        }
        // The last byte is written so the file's length covers the hole.
        writeFully(ByteBuffer.allocate(1));
        writtenDataBytes += count;
    }

    /**
     * Moves the finished file into place, replacing any existing one; if the byte count is wrong,
     * deletes the partial file instead and throws.
     */
    @Override
    public void close() {
        if (finished) {
            return;
        }
        if (writtenDataBytes != expectedDataBytes) {
            abort();
            throw new VlmscopeException(target + ": the tensors declare " + expectedDataBytes
                    + " data bytes but only " + writtenDataBytes + " were written; nothing was written");
        }
        finished = true;
        try {
            channel.force(true);
            channel.close();
            moveIntoPlace();
        } catch (IOException e) {
            deleteQuietly(temp, e);
            throw new VlmscopeException("cannot finish " + target + ": " + e.getMessage(), e);
        }
    }

    private void moveIntoPlace() throws IOException {
        try {
            Files.move(temp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (AtomicMoveNotSupportedException e) {
            Files.move(temp, target, StandardCopyOption.REPLACE_EXISTING);
        }
    }

    private void writeFully(ByteBuffer bytes) {
        try {
            while (bytes.hasRemaining()) {
                channel.write(bytes);
            }
        } catch (IOException e) {
            abort();
            throw new VlmscopeException("cannot write " + target + ": " + e.getMessage(), e);
        }
    }

    private void abort() {
        finished = true;
        try {
            channel.close();
        } catch (IOException e) {
            // The file is deleted next; a failed close changes nothing for the caller.
        }
        deleteQuietly(temp, null);
    }

    private static void deleteQuietly(Path path, Exception primary) {
        try {
            Files.deleteIfExists(path);
        } catch (IOException e) {
            if (primary != null) {
                primary.addSuppressed(e);
            }
        }
    }

    /** Compact JSON, keys in spec order, padded with spaces to a multiple of 8 like the reference writer. */
    private static byte[] header(Path file, Map<String, String> metadata, List<TensorSpec> specs) {
        ObjectNode root = JSON.createObjectNode();
        if (metadata != null && !metadata.isEmpty()) {
            ObjectNode meta = root.putObject("__metadata__");
            metadata.forEach(meta::put);
        }
        Set<String> seen = new HashSet<>();
        long offset = 0;
        for (TensorSpec spec : specs) {
            if (spec.name().equals("__metadata__")) {
                throw new VlmscopeException(file + ": __metadata__ is reserved and cannot name a tensor");
            }
            if (!seen.add(spec.name())) {
                throw new VlmscopeException(file + ": tensor name " + spec.name() + " appears twice");
            }
            ObjectNode entry = root.putObject(spec.name());
            entry.put("dtype", spec.dtype().safetensorsName());
            ArrayNode shape = entry.putArray("shape");
            for (long dim : spec.shape) {
                shape.add(dim);
            }
            long end = Math.addExact(offset, spec.byteLength());
            entry.putArray("data_offsets").add(offset).add(end);
            offset = end;
        }
        byte[] json;
        try {
            json = JSON.writeValueAsBytes(root);
        } catch (JsonProcessingException e) {
            throw new VlmscopeException(file + ": cannot encode header: " + e.getOriginalMessage(), e);
        }
        int padded = (json.length + 7) / 8 * 8;
        byte[] header = Arrays.copyOf(json, padded);
        Arrays.fill(header, json.length, padded, (byte) ' ');
        return header;
    }

    @Override
    public String toString() {
        return "SafetensorsWriter[" + target + ", " + writtenDataBytes + "/" + expectedDataBytes + " bytes]";
    }
}
