package org.vlmscope.core;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.vlmscope.core.SafetensorsWriter.NamedTensor;
import org.vlmscope.core.SafetensorsWriter.TensorSpec;

class SafetensorsRoundTripTest {

    @TempDir
    Path dir;

    private static NamedTensor bytesTensor(String name, DType dtype, long[] shape, int seed) {
        int length = (int) (Arrays.stream(shape).reduce(1, Math::multiplyExact) * dtype.byteSize());
        byte[] bytes = new byte[length];
        for (int i = 0; i < length; i++) {
            bytes[i] = (byte) (seed * 31 + i * 7);
        }
        return new NamedTensor(name, dtype, shape, ByteBuffer.wrap(bytes));
    }

    private static byte[] remainingBytes(ByteBuffer buffer) {
        byte[] bytes = new byte[buffer.remaining()];
        buffer.duplicate().get(bytes);
        return bytes;
    }

    private List<NamedTensor> mixedTensors() {
        return List.of(
                NamedTensor.ofFloats("weights.f32", new long[] {2, 3}, new float[] {1, -2, 3.5f, 0, 1e-8f, -7}),
                bytesTensor("weights.f16", DType.F16, new long[] {5}, 1),
                bytesTensor("weights.bf16", DType.BF16, new long[] {2, 2, 2}, 2),
                bytesTensor("weights.f64", DType.F64, new long[] {3}, 3),
                NamedTensor.ofLongs("ids", new long[] {4}, new long[] {0, -1, Long.MAX_VALUE, 42}),
                bytesTensor("i32", DType.I32, new long[] {2}, 4),
                bytesTensor("i8", DType.I8, new long[] {3}, 5),
                bytesTensor("u8", DType.U8, new long[] {1, 3}, 6),
                bytesTensor("mask", DType.BOOL, new long[] {2}, 7),
                bytesTensor("empty", DType.F32, new long[] {0, 4}, 8),
                NamedTensor.ofFloats("scalar", new long[] {}, new float[] {3.25f}));
    }

    @Test
    void writtenTensorsReadBackWithTheirDtypesShapesBytesAndMetadata() {
        Path file = dir.resolve("mixed.safetensors");
        List<NamedTensor> tensors = mixedTensors();
        Map<String, String> metadata = Map.of("format", "pt", "note", "é ünïcode");
        SafetensorsWriter.writeAll(file, metadata, tensors);

        try (SafetensorsFile read = SafetensorsFile.open(file)) {
            assertEquals(metadata, read.metadata());
            assertEquals(tensors.size(), read.tensors().size());
            for (NamedTensor tensor : tensors) {
                TensorInfo info = read.info(tensor.name());
                assertEquals(tensor.dtype(), info.dtype(), tensor.name());
                assertArrayEquals(tensor.shape(), info.shape(), tensor.name());
                ByteBuffer data = read.data(tensor.name());
                assertTrue(data.isReadOnly());
                assertEquals(ByteOrder.LITTLE_ENDIAN, data.order());
                assertArrayEquals(remainingBytes(tensor.data()), remainingBytes(data), tensor.name());
            }
            assertArrayEquals(new float[] {1, -2, 3.5f, 0, 1e-8f, -7}, read.toFloatArray("weights.f32"));
            assertArrayEquals(new long[] {0, -1, Long.MAX_VALUE, 42}, read.toLongArray("ids"));
            assertArrayEquals(new float[] {3.25f}, read.toFloatArray("scalar"));
            assertEquals(1, read.info("scalar").numel());
            assertEquals(0, read.info("empty").numel());
            assertEquals(0, read.data("empty").remaining());
        }
    }

    @Test
    void tensorsListInDataOrderAndNamesSorted() {
        Path file = dir.resolve("order.safetensors");
        List<NamedTensor> tensors = mixedTensors();
        SafetensorsWriter.writeAll(file, null, tensors);
        try (SafetensorsFile read = SafetensorsFile.open(file)) {
            List<String> inOffsetOrder = read.tensors().stream().map(TensorInfo::name).toList();
            assertEquals(tensors.stream().map(NamedTensor::name).toList(), inOffsetOrder);
            List<String> sorted = new ArrayList<>(inOffsetOrder);
            sorted.sort(null);
            assertEquals(sorted, List.copyOf(read.names()));
            assertEquals(Map.of(), read.metadata());
        }
    }

    /** The header is checked by hand: 8-byte length, JSON padded to 8 with spaces, consecutive offsets. */
    @Test
    void headerIsPaddedCompactJsonWithConsecutiveOffsetsInSpecOrder() throws IOException {
        Path file = dir.resolve("header.safetensors");
        List<NamedTensor> tensors = mixedTensors();
        SafetensorsWriter.writeAll(file, Map.of("format", "pt"), tensors);
        byte[] bytes = Files.readAllBytes(file);
        long headerLength = ByteBuffer.wrap(bytes, 0, 8).order(ByteOrder.LITTLE_ENDIAN).getLong();
        assertEquals(0, headerLength % 8);
        String header = new String(bytes, 8, (int) headerLength, StandardCharsets.UTF_8);
        String json = header.stripTrailing();
        assertTrue(headerLength - json.length() < 8, "padding is shorter than 8");
        assertTrue(header.substring(json.length()).chars().allMatch(c -> c == ' '), "padding is spaces");
        JsonNode root = new ObjectMapper().readTree(json);
        Iterator<String> keys = root.fieldNames();
        assertEquals("__metadata__", keys.next());
        long expectedBegin = 0;
        for (NamedTensor tensor : tensors) {
            assertEquals(tensor.name(), keys.next());
            JsonNode offsets = root.get(tensor.name()).get("data_offsets");
            assertEquals(expectedBegin, offsets.get(0).asLong());
            expectedBegin += tensor.data().remaining();
            assertEquals(expectedBegin, offsets.get(1).asLong());
        }
        assertEquals(8 + headerLength + expectedBegin, bytes.length);
    }

    @Test
    void streamingInOddChunksGivesTheSameFileAsWriteAll() throws IOException {
        List<NamedTensor> tensors = mixedTensors();
        Path whole = dir.resolve("whole.safetensors");
        SafetensorsWriter.writeAll(whole, Map.of("a", "b"), tensors);

        ByteBuffer concatenated = ByteBuffer.allocate(tensors.stream().mapToInt(t -> t.data().remaining()).sum());
        tensors.forEach(t -> concatenated.put(t.data().duplicate()));
        concatenated.flip();
        Path streamed = dir.resolve("streamed.safetensors");
        List<TensorSpec> specs = tensors.stream().map(NamedTensor::spec).toList();
        try (SafetensorsWriter writer = SafetensorsWriter.create(streamed, Map.of("a", "b"), specs)) {
            assertEquals(concatenated.remaining(), writer.expectedDataBytes());
            while (concatenated.hasRemaining()) {
                int chunk = Math.min(7, concatenated.remaining());
                writer.write(concatenated.slice().limit(chunk));
                concatenated.position(concatenated.position() + chunk);
            }
        }
        assertArrayEquals(Files.readAllBytes(whole), Files.readAllBytes(streamed));
    }

    @Test
    void tooFewBytesLeavesNoFileAndNoTemporaryFile() throws IOException {
        Path file = dir.resolve("short.safetensors");
        List<TensorSpec> specs = List.of(new TensorSpec("x", DType.F32, new long[] {4}));
        SafetensorsWriter writer = SafetensorsWriter.create(file, null, specs);
        writer.write(ByteBuffer.allocate(12));
        VlmscopeException e = assertThrows(VlmscopeException.class, writer::close);
        assertTrue(e.getMessage().contains("short.safetensors") && e.getMessage().contains("16")
                && e.getMessage().contains("12"), e.getMessage());
        assertFalse(Files.exists(file));
        try (Stream<Path> left = Files.list(dir)) {
            assertEquals(List.of(), left.toList());
        }
    }

    @Test
    void failedWriteKeepsAnExistingFileIntact() throws IOException {
        Path file = dir.resolve("model.safetensors");
        SafetensorsWriter.writeAll(file, Map.of("version", "1"),
                List.of(NamedTensor.ofFloats("w", new long[] {2}, new float[] {1, 2})));
        byte[] before = Files.readAllBytes(file);

        List<TensorSpec> specs = List.of(new TensorSpec("w", DType.F32, new long[] {2}));
        SafetensorsWriter writer = SafetensorsWriter.create(file, Map.of("version", "2"), specs);
        VlmscopeException tooMany = assertThrows(VlmscopeException.class, () -> writer.write(ByteBuffer.allocate(12)));
        assertTrue(tooMany.getMessage().contains("model.safetensors"), tooMany.getMessage());
        writer.close();

        assertArrayEquals(before, Files.readAllBytes(file));
        try (Stream<Path> left = Files.list(dir)) {
            assertEquals(List.of(file), left.toList());
        }
    }

    @Test
    void exceptionWhileStreamingAbandonsTheFile() {
        Path file = dir.resolve("abandoned.safetensors");
        List<TensorSpec> specs = List.of(new TensorSpec("w", DType.F16, new long[] {8}));
        IllegalStateException failure = assertThrows(IllegalStateException.class, () -> {
            try (SafetensorsWriter writer = SafetensorsWriter.create(file, null, specs)) {
                writer.write(ByteBuffer.allocate(4));
                throw new IllegalStateException("source failed");
            }
        });
        assertEquals(1, failure.getSuppressed().length, "the short write is reported as suppressed");
        assertFalse(Files.exists(file));
    }

    @Test
    void successfulWriteReplacesAnExistingFile() {
        Path file = dir.resolve("replace.safetensors");
        SafetensorsWriter.writeAll(file, null, List.of(NamedTensor.ofFloats("old", new long[] {1}, new float[] {1})));
        SafetensorsWriter.writeAll(file, null, List.of(NamedTensor.ofLongs("new", new long[] {1}, new long[] {5})));
        try (SafetensorsFile read = SafetensorsFile.open(file)) {
            assertEquals(List.of("new"), List.copyOf(read.names()));
            assertArrayEquals(new long[] {5}, read.toLongArray("new"));
        }
    }

    @Test
    void rejectsDuplicateNamesAndMismatchedBuffers() {
        Path file = dir.resolve("bad.safetensors");
        List<TensorSpec> duplicate = List.of(new TensorSpec("a", DType.F32, new long[] {1}),
                new TensorSpec("a", DType.F32, new long[] {1}));
        VlmscopeException e = assertThrows(VlmscopeException.class, () -> SafetensorsWriter.create(file, null, duplicate));
        assertTrue(e.getMessage().contains("a appears twice"), e.getMessage());
        assertThrows(IllegalArgumentException.class,
                () -> NamedTensor.ofFloats("w", new long[] {2, 2}, new float[] {1, 2, 3}));
        assertFalse(Files.exists(file));
    }

    @Test
    void toFloatArrayWidensHalfPrecisionTensors() {
        Path file = dir.resolve("halves.safetensors");
        ByteBuffer f16 = ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN);
        f16.putShort((short) 0x3c00).putShort((short) 0xc100).flip();
        ByteBuffer bf16 = ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN);
        bf16.putShort((short) 0x3f80).putShort((short) 0x4049).flip();
        SafetensorsWriter.writeAll(file, null, List.of(
                new NamedTensor("h", DType.F16, new long[] {2}, f16),
                new NamedTensor("b", DType.BF16, new long[] {2}, bf16)));
        try (SafetensorsFile read = SafetensorsFile.open(file)) {
            // fp16 0xc100 = -(1 + 256/1024) x 2 = -2.5; bf16 0x4049 = (1 + 73/128) x 2 = 3.140625.
            assertArrayEquals(new float[] {1f, -2.5f}, read.toFloatArray("h"));
            assertArrayEquals(new float[] {1f, 3.140625f}, read.toFloatArray("b"));
            VlmscopeException e = assertThrows(VlmscopeException.class, () -> read.toLongArray("h"));
            assertTrue(e.getMessage().contains("tensor h") && e.getMessage().contains("F16"), e.getMessage());
        }
    }
}
