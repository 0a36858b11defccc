package org.vlmscope.golden;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.UnaryOperator;
import java.util.stream.Stream;
import org.vlmscope.core.SafetensorsFile;
import org.vlmscope.core.SafetensorsWriter;
import org.vlmscope.core.SafetensorsWriter.NamedTensor;

/** Variants of a golden checkpoint that must export to the same graphs, and the check that they do. */
final class CheckpointCopies {
    static final List<String> GRAPH_FILES = List.of("vision.onnx", "vision.onnx.data", "embed.onnx",
            "embed.onnx.data", "decoder.onnx", "decoder.onnx.data");

    private CheckpointCopies() {
    }

    /** The checkpoint copied to {@code dir} with the config.json {@code config} in place of its own. */
    static Path withConfig(Path checkpoint, Path dir, Path config) throws IOException {
        Files.createDirectories(dir);
        try (Stream<Path> files = Files.list(checkpoint)) {
            for (Path file : files.toList()) {
                Files.copy(file, dir.resolve(file.getFileName()));
            }
        }
        Files.copy(config, dir.resolve("config.json"), StandardCopyOption.REPLACE_EXISTING);
        return dir;
    }

    /** The checkpoint's config and weights in {@code dir}, every tensor name passed through {@code rename}. */
    static Path renamed(Path checkpoint, Path dir, UnaryOperator<String> rename) throws IOException {
        Files.createDirectories(dir);
        Files.copy(checkpoint.resolve("config.json"), dir.resolve("config.json"));
        List<NamedTensor> tensors = new ArrayList<>();
        try (SafetensorsFile weights = SafetensorsFile.open(checkpoint.resolve("model.safetensors"))) {
            for (var info : weights.tensors()) {
                tensors.add(new NamedTensor(rename.apply(info.name()), info.dtype(), info.shape(),
                        copy(weights.data(info.name()))));
            }
        }
        SafetensorsWriter.writeAll(dir.resolve("model.safetensors"), Map.of(), tensors);
        return dir;
    }

    static ByteBuffer copy(ByteBuffer data) {
        ByteBuffer out = ByteBuffer.allocate(data.remaining()).order(ByteOrder.LITTLE_ENDIAN);
        out.put(data.duplicate()).flip();
        return out;
    }

    /** Two model directories hold byte-identical graphs and weights. */
    static void assertSameGraphs(Path expected, Path actual) throws IOException {
        for (String file : GRAPH_FILES) {
            assertArrayEquals(Files.readAllBytes(expected.resolve(file)), Files.readAllBytes(actual.resolve(file)), file);
        }
    }
}
