package org.vlmscope.core;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Comparator;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * A safetensors file opened for reading: the header is parsed and validated up front, tensor data
 * is memory-mapped on request. Format: 8-byte little-endian header length N, N bytes of JSON, then
 * the data section; each tensor's {@code data_offsets} are relative to the start of the data section.
 */
public final class SafetensorsFile implements WeightSource {
    /** The reference implementation refuses larger headers; so do we, before allocating them. */
    static final long MAX_HEADER_BYTES = 100L << 20;
    private static final String METADATA_KEY = "__metadata__";
    private static final ObjectMapper JSON = JsonMapper.builder()
            .enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION)
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .build();

    private final Path path;
    private final FileChannel channel;
    private final Map<String, String> metadata;
    /** In data-offset order. */
    private final Map<String, TensorInfo> tensors;
    private final Set<String> sortedNames;
    private volatile boolean closed;

    private SafetensorsFile(Path path, FileChannel channel, Map<String, String> metadata,
                            Map<String, TensorInfo> tensors) {
        this.path = path;
        this.channel = channel;
        this.metadata = metadata;
        this.tensors = tensors;
        this.sortedNames = Collections.unmodifiableSet(new TreeSet<>(tensors.keySet()));
    }

    public static SafetensorsFile open(Path path) {
        FileChannel channel;
        try {
            channel = FileChannel.open(path, StandardOpenOption.READ);
        } catch (NoSuchFileException e) {
            throw new VlmscopeException(path + ": no such safetensors file");
        } catch (IOException e) {
            throw new VlmscopeException(path + ": cannot open safetensors file: " + e.getMessage(), e);
        }
        try {
            Header header = readHeader(path, channel);
            return new SafetensorsFile(path, channel, header.metadata, header.tensors);
        } catch (RuntimeException e) {
            closeQuietly(channel, e);
            throw e;
        }
    }

    public Path path() {
        return path;
    }

    /** The {@code __metadata__} string map; empty when the file has none. */
    public Map<String, String> metadata() {
        return metadata;
    }

    /** All tensors in data-offset order. */
    public List<TensorInfo> tensors() {
        return List.copyOf(tensors.values());
    }

    @Override
    public Set<String> names() {
        return sortedNames;
    }

    @Override
    public boolean contains(String name) {
        return tensors.containsKey(name);
    }

    @Override
    public TensorInfo info(String name) {
        TensorInfo info = tensors.get(name);
        if (info == null) {
            throw new VlmscopeException("tensor " + name + " is not in " + path);
        }
        return info;
    }

    @Override
    public ByteBuffer data(String name) {
        TensorInfo info = info(name);
        if (info.byteLength() > Integer.MAX_VALUE) {
            throw new VlmscopeException("tensor " + name + " in " + path + " is " + info.byteLength()
                    + " bytes; a single mapped view is limited to 2 GiB (" + Integer.MAX_VALUE + " bytes)");
        }
        if (closed) {
            throw new VlmscopeException(path + " is closed; cannot read tensor " + name);
        }
        try {
            return channel.map(FileChannel.MapMode.READ_ONLY, info.offset(), info.byteLength())
                    .order(ByteOrder.LITTLE_ENDIAN);
        } catch (IOException e) {
            throw new VlmscopeException(path + ": cannot map tensor " + name + ": " + e.getMessage(), e);
        }
    }

    @Override
    public float[] toFloatArray(String name) {
        TensorInfo info = info(name);
        smallCount(info);
        return TensorConversion.toFloats(data(name), info.dtype(), name + " in " + path);
    }

    /** Integer tensor values widened to long (I64, I32, I16, I8, U8); meant for small tensors. */
    public long[] toLongArray(String name) {
        TensorInfo info = info(name);
        int count = smallCount(info);
        ByteBuffer bytes = data(name);
        long[] values = new long[count];
        for (int i = 0; i < count; i++) {
            values[i] = switch (info.dtype()) {
                case I64 -> bytes.getLong(i * 8);
                case I32 -> bytes.getInt(i * 4);
                case I16 -> bytes.getShort(i * 2);
                case I8 -> bytes.get(i);
                case U8 -> bytes.get(i) & 0xff;
                default -> throw new VlmscopeException("tensor " + name + " in " + path + " has dtype "
                        + info.dtype() + "; a long array needs I64, I32, I16, I8 or U8");
            };
        }
        return values;
    }

    @Override
    public void close() {
        closed = true;
        try {
            channel.close();
        } catch (IOException e) {
            throw new VlmscopeException(path + ": cannot close: " + e.getMessage(), e);
        }
    }

    @Override
    public String toString() {
        return "SafetensorsFile[" + path + ", " + tensors.size() + " tensors]";
    }

    private int smallCount(TensorInfo info) {
        long count = info.numel();
        // Java arrays hold at most about Integer.MAX_VALUE elements.
        if (count > Integer.MAX_VALUE - 8) {
            throw new VlmscopeException("tensor " + info.name() + " in " + path + " has " + count
                    + " elements, too many for a Java array; read it with data()");
        }
        return (int) count;
    }

    private record Header(Map<String, String> metadata, Map<String, TensorInfo> tensors) {
    }

    private static Header readHeader(Path path, FileChannel channel) {
        long fileSize;
        try {
            fileSize = channel.size();
        } catch (IOException e) {
            throw new VlmscopeException(path + ": cannot read file size: " + e.getMessage(), e);
        }
        if (fileSize < 8) {
            throw new VlmscopeException(path + ": truncated header: the file has " + fileSize
                    + " bytes, fewer than the 8-byte header length");
        }
        ByteBuffer lengthBytes = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
        readFully(path, channel, lengthBytes, 0);
        long headerLength = lengthBytes.getLong(0);
        if (headerLength == 0) {
            throw new VlmscopeException(path + ": header length is 0; expected a JSON header");
        }
        // A negative long is an unsigned length beyond 2^63: also larger than the file.
        if (headerLength < 0 || headerLength > fileSize - 8) {
            throw new VlmscopeException(path + ": header claims " + Long.toUnsignedString(headerLength)
                    + " bytes but the file has " + fileSize + " (" + (fileSize - 8)
                    + " after the 8-byte length): truncated or not a safetensors file");
        }
        if (headerLength > MAX_HEADER_BYTES) {
            throw new VlmscopeException(path + ": header claims " + headerLength + " bytes, more than the "
                    + MAX_HEADER_BYTES + "-byte limit of the safetensors format");
        }
        ByteBuffer headerBytes = ByteBuffer.allocate((int) headerLength);
        readFully(path, channel, headerBytes, 8);
        JsonNode root;
        try {
            root = JSON.readTree(headerBytes.array());
        } catch (JsonProcessingException e) {
            throw JsonErrors.notJson(path + ": header", e);
        } catch (IOException e) {
            throw new VlmscopeException(path + ": cannot parse header: " + e.getMessage(), e);
        }
        if (root == null || !root.isObject()) {
            throw new VlmscopeException(path + ": header must be a JSON object, found "
                    + (root == null ? "nothing" : root.getNodeType().toString().toLowerCase()));
        }
        long dataStart = 8 + headerLength;
        long dataSize = fileSize - dataStart;
        Map<String, String> metadata = Map.of();
        List<TensorInfo> infos = new ArrayList<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = root.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> entry = it.next();
            if (entry.getKey().equals(METADATA_KEY)) {
                metadata = parseMetadata(path, entry.getValue());
            } else {
                infos.add(parseEntry(path, entry.getKey(), entry.getValue(), dataStart, dataSize));
            }
        }
        infos.sort(Comparator.comparingLong(TensorInfo::offset).thenComparingLong(TensorInfo::byteLength));
        checkContiguous(path, infos, dataStart, dataSize);
        Map<String, TensorInfo> tensors = new LinkedHashMap<>();
        for (TensorInfo info : infos) {
            tensors.put(info.name(), info);
        }
        return new Header(metadata, Collections.unmodifiableMap(tensors));
    }

    private static Map<String, String> parseMetadata(Path path, JsonNode node) {
        if (!node.isObject()) {
            throw new VlmscopeException(path + ": " + METADATA_KEY + " must be an object of strings");
        }
        Map<String, String> metadata = new LinkedHashMap<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = node.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> entry = it.next();
            if (!entry.getValue().isTextual()) {
                throw new VlmscopeException(path + ": " + METADATA_KEY + " value of '" + entry.getKey()
                        + "' must be a string, found " + entry.getValue());
            }
            metadata.put(entry.getKey(), entry.getValue().textValue());
        }
        return Collections.unmodifiableMap(metadata);
    }

    private static TensorInfo parseEntry(Path path, String name, JsonNode node, long dataStart, long dataSize) {
        String where = path + ": tensor " + name;
        if (!node.isObject()) {
            throw new VlmscopeException(where + ": expected an object with dtype, shape, data_offsets, found "
                    + node);
        }
        JsonNode dtypeNode = node.get("dtype");
        if (dtypeNode == null || !dtypeNode.isTextual()) {
            throw new VlmscopeException(where + ": missing or non-string dtype");
        }
        DType dtype;
        try {
            dtype = DType.fromSafetensors(dtypeNode.textValue());
        } catch (VlmscopeException e) {
            throw new VlmscopeException(where + ": " + e.getMessage(), e);
        }
        long[] shape = nonNegativeLongs(where, "shape", node.get("shape"), -1);
        long[] offsets = nonNegativeLongs(where, "data_offsets", node.get("data_offsets"), 2);
        long begin = offsets[0];
        long end = offsets[1];
        if (begin > end || end > dataSize) {
            throw new VlmscopeException(where + ": offsets [" + begin + "," + end + "] outside data section of "
                    + dataSize + " bytes");
        }
        long expected = Shapes.byteLengthOrOverflow(shape, dtype);
        if (expected != end - begin) {
            throw new VlmscopeException(where + ": dtype " + dtype + " x shape " + Arrays.toString(shape) + " = "
                    + (expected < 0 ? "more than 2^63" : Long.toString(expected)) + " bytes but offsets span "
                    + (end - begin));
        }
        return new TensorInfo(name, dtype, shape, dataStart + begin, end - begin);
    }

    private static long[] nonNegativeLongs(String where, String field, JsonNode node, int requiredLength) {
        if (node == null || !node.isArray() || (requiredLength >= 0 && node.size() != requiredLength)) {
            throw new VlmscopeException(where + ": " + field + " must be an array of "
                    + (requiredLength >= 0 ? requiredLength + " " : "") + "non-negative integers, found " + node);
        }
        long[] values = new long[node.size()];
        for (int i = 0; i < values.length; i++) {
            JsonNode element = node.get(i);
            if (!element.isIntegralNumber() || !element.canConvertToLong() || element.longValue() < 0) {
                throw new VlmscopeException(where + ": " + field + " must hold non-negative integers, found "
                        + node);
            }
            values[i] = element.longValue();
        }
        return values;
    }

    /**
     * Expects infos sorted by offset. As in the reference reader, the tensors' bytes tile the data section: the
     * first starts at 0, each starts where the previous one ends, and the file ends where the last one ends. A
     * header length that is off by a few bytes shifts every tensor yet keeps each inside the file; only this check
     * catches it. Empty tensors hold no bytes and may sit anywhere.
     */
    private static void checkContiguous(Path path, List<TensorInfo> sorted, long dataStart, long dataSize) {
        TensorInfo previous = null;
        long end = 0;
        for (TensorInfo info : sorted) {
            if (info.byteLength() == 0) {
                continue;
            }
            long begin = info.offset() - dataStart;
            if (begin < end) {
                throw new VlmscopeException(path + ": tensors " + previous.name() + " [" + (end
                        - previous.byteLength()) + "," + end + "] and " + info.name() + " [" + begin + ","
                        + (begin + info.byteLength()) + "] overlap");
            }
            if (begin > end) {
                throw new VlmscopeException(path + ": tensor " + info.name() + " starts at byte " + begin
                        + " of the data section but " + (previous == null ? "expected 0: the data section starts "
                        + "with the first tensor" : previous.name() + " ends at byte " + end
                        + ": safetensors data has no gaps"));
            }
            end = begin + info.byteLength();
            previous = info;
        }
        if (end != dataSize) {
            throw new VlmscopeException(path + ": the data section holds " + dataSize + " bytes but the tensors end at "
                    + "byte " + end + ": the header length is wrong or bytes were added or cut (a safetensors file "
                    + "ends where its last tensor ends)");
        }
    }

    private static void readFully(Path path, FileChannel channel, ByteBuffer buffer, long position) {
        try {
            long at = position;
            while (buffer.hasRemaining()) {
                int read = channel.read(buffer, at);
                if (read < 0) {
                    throw new VlmscopeException(path + ": truncated header: unexpected end of file at byte " + at);
                }
                at += read;
            }
        } catch (IOException e) {
            throw new VlmscopeException(path + ": cannot read header: " + e.getMessage(), e);
        }
    }

    private static void closeQuietly(FileChannel channel, RuntimeException primary) {
        try {
            channel.close();
        } catch (IOException e) {
            primary.addSuppressed(e);
        }
    }
}
