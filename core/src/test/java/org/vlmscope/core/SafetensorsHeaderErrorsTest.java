package org.vlmscope.core;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Hand-made broken files; each error must name the file and say what was wrong. */
class SafetensorsHeaderErrorsTest {

    @TempDir
    Path dir;

    private Path raw(String name, byte[] bytes) throws IOException {
        Path file = dir.resolve(name);
        Files.write(file, bytes);
        return file;
    }

    /** A file with the given header length field, header text and number of data bytes. */
    private Path crafted(String name, long claimedLength, String header, int dataBytes) throws IOException {
        byte[] json = header.getBytes(StandardCharsets.UTF_8);
        ByteBuffer bytes = ByteBuffer.allocate(8 + json.length + dataBytes).order(ByteOrder.LITTLE_ENDIAN);
        bytes.putLong(claimedLength).put(json);
        return raw(name, bytes.array());
    }

    private Path crafted(String name, String header, int dataBytes) throws IOException {
        return crafted(name, header.getBytes(StandardCharsets.UTF_8).length, header, dataBytes);
    }

    private static void assertOpenFails(Path file, String... expectedFragments) {
        VlmscopeException e = assertThrows(VlmscopeException.class, () -> SafetensorsFile.open(file));
        String message = e.getMessage();
        assertTrue(message.contains(file.toString()), "names the file: " + message);
        for (String fragment : expectedFragments) {
            assertTrue(message.contains(fragment), "expected '" + fragment + "' in: " + message);
        }
    }

    @Test
    void fileShorterThanTheLengthField() throws IOException {
        assertOpenFails(raw("tiny.safetensors", new byte[] {1, 0, 0}), "truncated header", "3 bytes");
    }

    @Test
    void headerLengthLargerThanTheFile() throws IOException {
        assertOpenFails(crafted("long.safetensors", 500, "{}", 0), "header claims 500 bytes but the file has 10");
    }

    @Test
    void headerLengthWithTheTopBitSetIsNotNegative() throws IOException {
        assertOpenFails(crafted("huge.safetensors", -1, "{}", 0), "header claims 18446744073709551615 bytes");
    }

    @Test
    void zeroHeaderLength() throws IOException {
        assertOpenFails(crafted("zero.safetensors", 0, "", 4), "header length is 0");
    }

    @Test
    void headerThatIsNotJson() throws IOException {
        assertOpenFails(crafted("text.safetensors", "hello world", 0), "not valid JSON");
    }

    @Test
    void headerThatIsNotAnObject() throws IOException {
        assertOpenFails(crafted("array.safetensors", "[1,2]", 0), "must be a JSON object");
    }

    @Test
    void offsetsBeyondTheDataSection() throws IOException {
        String header = "{\"w\":{\"dtype\":\"F32\",\"shape\":[2,3],\"data_offsets\":[0,24]}}";
        assertOpenFails(crafted("outside.safetensors", header, 20),
                "tensor w", "offsets [0,24] outside data section of 20 bytes");
    }

    @Test
    void offsetsInReverseOrder() throws IOException {
        String header = "{\"w\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[8,4]}}";
        assertOpenFails(crafted("reversed.safetensors", header, 8), "tensor w", "offsets [8,4]");
    }

    @Test
    void dtypeTimesShapeDisagreesWithTheOffsets() throws IOException {
        String header = "{\"w\":{\"dtype\":\"F32\",\"shape\":[2,3],\"data_offsets\":[0,20]}}";
        assertOpenFails(crafted("mismatch.safetensors", header, 24),
                "tensor w", "dtype F32 x shape [2, 3] = 24 bytes but offsets span 20");
    }

    @Test
    void overlappingTensors() throws IOException {
        String header = "{\"a\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[0,16]},"
                + "\"b\":{\"dtype\":\"I64\",\"shape\":[1],\"data_offsets\":[8,16]}}";
        assertOpenFails(crafted("overlap.safetensors", header, 16), "tensors a [0,16] and b [8,16] overlap");
    }

    @Test
    void unknownDtype() throws IOException {
        String header = "{\"w\":{\"dtype\":\"F8_E4M3\",\"shape\":[4],\"data_offsets\":[0,4]}}";
        assertOpenFails(crafted("fp8.safetensors", header, 4), "tensor w", "F8_E4M3");
    }

    @Test
    void missingFieldsAndNegativeDimensions() throws IOException {
        assertOpenFails(crafted("noshape.safetensors", "{\"w\":{\"dtype\":\"F32\",\"data_offsets\":[0,4]}}", 4),
                "tensor w", "shape");
        assertOpenFails(crafted("nooffsets.safetensors", "{\"w\":{\"dtype\":\"F32\",\"shape\":[1]}}", 4),
                "tensor w", "data_offsets");
        assertOpenFails(crafted("negative.safetensors",
                "{\"w\":{\"dtype\":\"F32\",\"shape\":[-1],\"data_offsets\":[0,4]}}", 4), "tensor w", "non-negative");
    }

    @Test
    void metadataValuesMustBeStrings() throws IOException {
        assertOpenFails(crafted("meta.safetensors", "{\"__metadata__\":{\"step\":3}}", 0), "__metadata__", "step");
    }

    @Test
    void duplicateTensorNames() throws IOException {
        String header = "{\"w\":{\"dtype\":\"U8\",\"shape\":[1],\"data_offsets\":[0,1]},"
                + "\"w\":{\"dtype\":\"U8\",\"shape\":[1],\"data_offsets\":[1,2]}}";
        assertOpenFails(crafted("dup.safetensors", header, 2), "Duplicate field 'w'");
    }

    @Test
    void missingFile() {
        assertOpenFails(dir.resolve("absent.safetensors"), "no such safetensors file");
    }

    @Test
    void missingTensorIsNamed() throws IOException {
        Path file = crafted("one.safetensors", "{\"w\":{\"dtype\":\"U8\",\"shape\":[1],\"data_offsets\":[0,1]}}", 1);
        try (SafetensorsFile read = SafetensorsFile.open(file)) {
            VlmscopeException e = assertThrows(VlmscopeException.class, () -> read.info("lm_head.weight"));
            assertTrue(e.getMessage().contains("lm_head.weight") && e.getMessage().contains(file.toString()),
                    e.getMessage());
        }
    }

    @Test
    void emptyTensorsMayShareOffsetsWithOthers() throws IOException {
        String header = "{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]},"
                + "\"e\":{\"dtype\":\"F32\",\"shape\":[0],\"data_offsets\":[2,2]}}";
        try (SafetensorsFile read = SafetensorsFile.open(crafted("empty.safetensors", header, 4))) {
            assertTrue(read.contains("e"));
        }
    }

    /**
     * Fuzzing finding: a header length one byte short shifted every tensor by one byte and the file still opened.
     * The reference reader requires the data section to end exactly where the last tensor ends.
     */
    @Test
    void headerLengthOneByteShortIsRefused() throws IOException {
        Path good = dir.resolve("good.safetensors");
        SafetensorsWriter.writeAll(good, null, java.util.List.of(
                SafetensorsWriter.NamedTensor.ofFloats("w", new long[] {2}, new float[] {1, 2})));
        byte[] bytes = Files.readAllBytes(good);
        ByteBuffer view = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
        view.putLong(0, view.getLong(0) - 1);
        assertOpenFails(raw("short.safetensors", bytes), "data section", "9 bytes", "tensors end at byte 8");
    }

    @Test
    void trailingBytesAfterTheLastTensorAreRefused() throws IOException {
        String header = "{\"w\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}";
        assertOpenFails(crafted("junk.safetensors", header, 7), "data section", "7 bytes", "tensors end at byte 4");
        assertOpenFails(crafted("nothing.safetensors", "{}", 3), "data section", "3 bytes", "tensors end at byte 0");
    }

    @Test
    void gapsBetweenTensorsAreRefused() throws IOException {
        String header = "{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]},"
                + "\"b\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[8,12]}}";
        assertOpenFails(crafted("gap.safetensors", header, 12), "b starts at byte 8", "a ends at byte 4");
        String late = "{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}";
        assertOpenFails(crafted("late.safetensors", late, 8), "a starts at byte 4", "expected 0");
    }
}
