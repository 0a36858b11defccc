package org.vlmscope.graph;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.vlmscope.graph.GraphAssertions.assertGraphError;

import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnx.proto.OnnxMl.TensorProto.DataType;
import ai.onnx.proto.OnnxMl.TensorProto;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A model whose two weights live in one data file next to it (at different offsets), plus a small inline one.
 * Loading never reads the data file; saving elsewhere keeps every reference resolving to the same bytes.
 */
class ExternalDataTest {
    @TempDir
    Path root;

    private Path modelDir;
    private Path modelFile;
    private Path dataFile;
    private byte[] data;

    private static final long EMBED_OFFSET = 0;
    private static final long EMBED_LENGTH = 4 * 3 * 4;   // float32 [4,3]
    private static final long LMHEAD_OFFSET = 64;         // aligned, with a gap after the first tensor
    private static final long LMHEAD_LENGTH = 2 * 3 * 4;  // float16 [3,4]

    @BeforeEach
    void writeModel() throws IOException {
        modelDir = Files.createDirectories(root.resolve("model"));
        modelFile = modelDir.resolve("model.onnx");
        dataFile = modelDir.resolve("model.onnx.data");
        data = new byte[(int) (LMHEAD_OFFSET + LMHEAD_LENGTH)];
        for (int i = 0; i < data.length; i++) {
            data[i] = (byte) (i * 7 + 3);
        }
        Files.write(dataFile, data);

        OnnxModel model = OnnxModel.create("m", 17, modelDir);
        Graph g = model.graph();
        Ops ops = new Ops(g, 17);
        Value ids = g.addInput("input_ids", TensorType.of(DataType.INT64, "batch", "seq"));
        Value embed = g.addInitializer(ExternalData.reference("embed.weight", DataType.FLOAT, new long[] {4, 3},
                "model.onnx.data", EMBED_OFFSET, EMBED_LENGTH));
        Value head = g.addInitializer(ExternalData.reference("lm_head.weight", DataType.FLOAT16, new long[] {3, 4},
                "model.onnx.data", LMHEAD_OFFSET, LMHEAD_LENGTH));
        Value scale = ops.scalar(2, DataType.FLOAT);
        Value h = ops.op("Gather").in(embed, ids).out();
        Value scaled = ops.op("Mul").in(h, scale).out();
        Value logits = ops.op("MatMul").in(ops.op("Cast").in(scaled).attr("to", 10).out(), head).out("logits");
        g.addOutput(logits);
        model.save(modelFile);
    }

    /** Reads the tensor's bytes the way ONNX Runtime would: location resolved against the model's directory. */
    private static byte[] resolve(Path modelDirectory, TensorProto t) throws IOException {
        Path file = modelDirectory.resolve(ExternalData.field(t, "location"));
        int offset = Integer.parseInt(ExternalData.field(t, "offset"));
        int length = Integer.parseInt(ExternalData.field(t, "length"));
        byte[] out = new byte[length];
        try (RandomAccessFile raf = new RandomAccessFile(file.toFile(), "r")) {
            raf.seek(offset);
            raf.readFully(out);
        }
        return out;
    }

    private byte[] original(long offset, long length) {
        return Arrays.copyOfRange(data, (int) offset, (int) (offset + length));
    }

    private static TensorProto savedInitializer(Path file, String name) throws IOException {
        ModelProto m = ModelProto.parseFrom(Files.readAllBytes(file));
        return m.getGraph().getInitializerList().stream().filter(t -> t.getName().equals(name)).findFirst()
                .orElseThrow();
    }

    /** Saves a freshly loaded copy as {@code target} and checks both weights still resolve to their bytes. */
    private void assertSaveResolves(Path target) throws IOException {
        OnnxModel model = OnnxModel.load(modelFile);
        model.save(target);
        Path targetDir = target.toAbsolutePath().getParent();
        assertEquals(targetDir, model.baseDir());
        assertWeightsResolve(target);
        assertWeightsResolve(targetDir, model);
        // And once more from the new place: a model saved elsewhere can itself be moved on.
        Path further = Files.createDirectories(root.resolve("further")).resolve("again.onnx");
        OnnxModel.load(target).save(further);
        assertWeightsResolve(further);
    }

    private void assertWeightsResolve(Path savedFile) throws IOException {
        Path d = savedFile.toAbsolutePath().getParent();
        TensorProto embed = savedInitializer(savedFile, "embed.weight");
        TensorProto head = savedInitializer(savedFile, "lm_head.weight");
        assertTrue(OnnxModel.isExternal(embed) && OnnxModel.isExternal(head));
        assertFalse(ExternalData.field(embed, "location").startsWith(".."), "ONNX Runtime refuses '..' locations");
        assertArrayEquals(original(EMBED_OFFSET, EMBED_LENGTH), resolve(d, embed));
        assertArrayEquals(original(LMHEAD_OFFSET, LMHEAD_LENGTH), resolve(d, head));
    }

    private void assertWeightsResolve(Path d, OnnxModel inMemory) throws IOException {
        TensorProto embed = inMemory.graph().require("embed.weight").initializer();
        assertArrayEquals(original(EMBED_OFFSET, EMBED_LENGTH), resolve(d, embed));
    }

    @Test
    void referenceMetadata() {
        TensorProto t = ExternalData.reference("w", DataType.FLOAT16, new long[] {2, 5}, "w.bin", 128, 20);
        assertTrue(OnnxModel.isExternal(t));
        assertEquals("w.bin", ExternalData.field(t, "location"));
        assertEquals("128", ExternalData.field(t, "offset"));
        assertEquals("20", ExternalData.field(t, "length"));
        assertNull(ExternalData.field(t, "checksum"));
        assertEquals(DataType.FLOAT16.getNumber(), t.getDataType());
        assertEquals(List.of(2L, 5L), t.getDimsList());
        assertFalse(t.hasRawData());
        assertEquals(20, ExternalData.byteLength(t));
    }

    @Test
    void byteLengthFromMetadata() {
        TensorProto noLength = ExternalData.reference("w", DataType.FLOAT16, new long[] {2, 5}, "w.bin", 0, 0)
                .toBuilder().removeExternalData(2).build();
        assertEquals(20, ExternalData.byteLength(noLength), "2*5 halves when the length entry is absent");
        TensorProto typedData = TensorProto.newBuilder().setName("t").setDataType(DataType.INT64.getNumber())
                .addDims(3).addInt64Data(1).addInt64Data(2).addInt64Data(3).build();
        assertEquals(24, ExternalData.byteLength(typedData));
    }

    @Test
    void loadNeverReadsTheDataFile() throws IOException {
        Files.delete(dataFile);
        OnnxModel model = OnnxModel.load(modelFile);
        assertEquals(modelDir.toAbsolutePath(), model.baseDir());
        assertEquals(EMBED_LENGTH + LMHEAD_LENGTH + 4, model.weightBytes());
        TensorProto embed = model.graph().require("embed.weight").initializer();
        assertEquals("model.onnx.data", ExternalData.field(embed, "location"));
        assertEquals(TensorType.of(DataType.FLOAT, 4, 3), model.graph().require("embed.weight").type());
        assertEquals(TensorType.of(DataType.FLOAT16, 3, 4), model.graph().require("lm_head.weight").type());
        // Building an in-memory variant does not need the data either.
        assertTrue(model.toBytes().length < 4096);
    }

    @Test
    void saveIntoTheSameDirectoryKeepsLocations() throws IOException {
        assertSaveResolves(modelDir.resolve("variant.onnx"));
        assertEquals("model.onnx.data", ExternalData.field(savedInitializer(modelDir.resolve("variant.onnx"),
                "embed.weight"), "location"));
    }

    @Test
    void saveOverTheOriginalFile() throws IOException {
        assertSaveResolves(modelFile);
    }

    @Test
    void saveIntoASiblingDirectory() throws IOException {
        assertSaveResolves(root.resolve("variants/v1.onnx"));
    }

    @Test
    void saveIntoASubdirectory() throws IOException {
        assertSaveResolves(modelDir.resolve("sub/v1.onnx"));
    }

    @Test
    void saveIntoTheParentDirectory() throws IOException {
        Path target = root.resolve("up.onnx");
        assertSaveResolves(target);
        assertEquals("model/model.onnx.data",
                ExternalData.field(savedInitializer(target, "embed.weight"), "location"));
    }

    @Test
    void saveWithARelativeTargetPath() throws IOException {
        Path cwd = Path.of("").toAbsolutePath();
        Path target = Files.createDirectories(root.resolve("rel")).resolve("v.onnx");
        assertSaveResolves(cwd.relativize(target));
    }

    @Test
    void aDifferentFileOfTheSameNameInTheTargetIsNotOverwritten() throws IOException {
        Path other = Files.createDirectories(root.resolve("other"));
        Files.write(other.resolve("model.onnx.data"), new byte[] {1, 2, 3});
        OnnxModel model = OnnxModel.load(modelFile);
        assertGraphError(() -> model.save(other.resolve("v.onnx")), "model.onnx.data");
        assertArrayEquals(new byte[] {1, 2, 3}, Files.readAllBytes(other.resolve("model.onnx.data")));
        // The failed save leaves the in-memory model usable from where it was.
        assertWeightsResolve(model.baseDir(), model);
    }

    @Test
    void aSaveThatFailsAfterRelocatingLeavesTheModelConsistent() throws IOException {
        OnnxModel model = OnnxModel.load(modelFile);
        Graph g = model.graph();
        Value a = g.newValue("cycle_a", null);
        Value b = g.newValue("cycle_b", null);
        g.addNode("Neg", "", "cycle_1", List.of(a), List.of(b), Map.of());
        g.addNode("Neg", "", "cycle_2", List.of(b), List.of(a), Map.of());
        assertGraphError(() -> model.save(root.resolve("up.onnx")), "cycle");
        try (var files = Files.list(root)) {
            assertTrue(files.noneMatch(p -> p.getFileName().toString().endsWith(".tmp")), "temp file left behind");
        }
        assertFalse(Files.exists(root.resolve("up.onnx")));
        // Whatever the in-memory references now say, they resolve against the model's base directory.
        assertWeightsResolve(model.baseDir(), model);
    }

    @Test
    void weightBytesSumsExternalAndInlineLengths() {
        OnnxModel model = OnnxModel.load(modelFile);
        assertEquals(EMBED_LENGTH + LMHEAD_LENGTH + 4, model.weightBytes());
        model.graph().cleanup();
        assertEquals(EMBED_LENGTH + LMHEAD_LENGTH + 4, model.weightBytes());
    }
}
