package org.vlmscope.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.function.UnaryOperator;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.vlmscope.core.ModelManifest;
import org.vlmscope.core.SafetensorsFile;
import org.vlmscope.core.SafetensorsWriter;
import org.vlmscope.core.SafetensorsWriter.NamedTensor;
import org.vlmscope.core.TensorInfo;
import org.vlmscope.golden.GoldenFixture;

/** {@code vlmscope export}: its report, and a one-line error naming the culprit for each kind of bad checkpoint. */
class ExportCommandTest {
    private static final String NORM = "language_model.model.norm.weight";
    private static final String PROJECTOR = "multi_modal_projector.linear_2.weight";

    @TempDir
    Path tmp;

    @Test
    void reportsGraphsTensorsAndThroughput() {
        Path model = tmp.resolve("model");
        Cli.Result r = Cli.ok("export", golden().toString(), "-o", model.toString(), "--dtype", "fp16");
        ModelManifest m = ModelManifest.read(model);
        assertEquals("fp16", m.dtype());
        assertTrue(r.out().contains("(fp16)"), r::toString);
        assertTrue(r.out().contains("graphs:  vision.onnx, embed.onnx, decoder.onnx"), r::toString);
        assertTrue(r.out().contains("prompt:  llava-1.5 template, from family default"), r::toString);
        assertTrue(r.out().matches("(?s).*tensors: \\d+, weights [0-9.]+ [kM]B \\(\\d+ bytes\\).*"), r::toString);
        assertTrue(r.out().matches("(?s).*time: +[0-9.]+ s, [0-9.]+ MB/s.*"), r::toString);
    }

    @Test
    void directoryWithoutConfig() {
        Cli.failsWith(Cli.run("export", tmp.toString(), "-o", tmp.resolve("m").toString()), tmp.toString(),
                "config.json");
    }

    @Test
    void unknownArchitecture() throws IOException {
        Path ckpt = copyCheckpoint(tmp.resolve("ckpt"));
        Path config = ckpt.resolve("config.json");
        ObjectMapper json = new ObjectMapper();
        ObjectNode c = (ObjectNode) json.readTree(config.toFile());
        c.put("model_type", "llava_next");
        c.putArray("architectures").add("LlavaNextForConditionalGeneration");
        json.writeValue(config.toFile(), c);
        String err = Cli.failsWith(Cli.run("export", ckpt.toString(), "-o", tmp.resolve("m").toString()));
        assertTrue(err.contains("LlavaNextForConditionalGeneration") || err.contains("llava_next"), err);
        assertFalse(Files.exists(tmp.resolve("m")));
    }

    @Test
    void missingTensor() throws IOException {
        Path ckpt = copyCheckpoint(tmp.resolve("ckpt"));
        rewriteWeights(ckpt, t -> t.name().equals(PROJECTOR) ? null : t);
        Cli.failsWith(Cli.run("export", ckpt.toString(), "-o", tmp.resolve("m").toString()), PROJECTOR);
        assertFalse(Files.exists(tmp.resolve("m")));
    }

    @Test
    void tensorOfTheWrongShape() throws IOException {
        Path ckpt = copyCheckpoint(tmp.resolve("ckpt"));
        rewriteWeights(ckpt, t -> !t.name().equals(NORM) ? t
                : new NamedTensor(NORM, t.dtype(), new long[] {63}, t.data().duplicate().limit(63 * 4)));
        Cli.failsWith(Cli.run("export", ckpt.toString(), "-o", tmp.resolve("m").toString()), NORM, "[63]",
                "[64]");
    }

    @Test
    void safetensorsCutInTheHeader() throws IOException {
        Path ckpt = copyCheckpoint(tmp.resolve("ckpt"));
        Path weights = ckpt.resolve("model.safetensors");
        truncate(weights, 8 + headerLength(weights) / 2);
        Cli.failsWith(Cli.run("export", ckpt.toString(), "-o", tmp.resolve("m").toString()), "model.safetensors");
    }

    /** Header intact, data cut short: the offsets in the header point beyond the end of the file. */
    @Test
    void safetensorsHeaderPointingBeyondTheFile() throws IOException {
        Path ckpt = copyCheckpoint(tmp.resolve("ckpt"));
        Path weights = ckpt.resolve("model.safetensors");
        long dataStart = 8 + headerLength(weights);
        truncate(weights, dataStart + (Files.size(weights) - dataStart) / 2);
        Cli.failsWith(Cli.run("export", ckpt.toString(), "-o", tmp.resolve("m").toString()), "model.safetensors");
    }

    @Test
    void badDtypeIsAUsageError() {
        Cli.usageError(Cli.run("export", golden().toString(), "-o", tmp.resolve("m").toString(), "--dtype", "int8"),
                "--dtype", "int8");
    }

    @Test
    void outputIsRequired() {
        Cli.usageError(Cli.run("export", golden().toString()), "--output");
    }

    static Path golden() {
        try (GoldenFixture f = GoldenFixture.load("llava-tiny")) {
            return f.checkpoint();
        }
    }

    static Path copyCheckpoint(Path to) throws IOException {
        Files.createDirectories(to);
        try (Stream<Path> files = Files.list(golden())) {
            for (Path f : files.toList()) {
                Files.copy(f, to.resolve(f.getFileName()));
            }
        }
        return to;
    }

    /** Rewrites model.safetensors with each tensor passed through {@code edit} (null drops it). */
    static void rewriteWeights(Path ckpt, UnaryOperator<NamedTensor> edit) {
        Path file = ckpt.resolve("model.safetensors");
        List<NamedTensor> tensors = new ArrayList<>();
        try (SafetensorsFile st = SafetensorsFile.open(file)) {
            for (TensorInfo t : st.tensors()) {
                ByteBuffer copy = ByteBuffer.allocate((int) t.byteLength()).order(ByteOrder.LITTLE_ENDIAN);
                copy.put(st.data(t.name())).flip();
                NamedTensor edited = edit.apply(new NamedTensor(t.name(), t.dtype(), t.shape(), copy));
                if (edited != null) {
                    tensors.add(edited);
                }
            }
            SafetensorsWriter.writeAll(file, st.metadata(), tensors);
        }
    }

    static long headerLength(Path file) throws IOException {
        try (FileChannel ch = FileChannel.open(file)) {
            ByteBuffer b = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
            ch.read(b, 0);
            return b.getLong(0);
        }
    }

    static void truncate(Path file, long size) throws IOException {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.WRITE)) {
            ch.truncate(size);
        }
    }
}
