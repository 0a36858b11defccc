package org.vlmscope.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.vlmscope.core.ModelManifest;

/** Fuzzing findings on {@code export}'s inputs: each was exported (or ran out of memory) and is now refused. */
class ExportBadInputTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path tmp;

    private Path checkpointWithConfig(Consumer<ObjectNode> edit) throws IOException {
        Path ckpt = ExportCommandTest.copyCheckpoint(Files.createTempDirectory(tmp, "ckpt"));
        Path config = ckpt.resolve("config.json");
        ObjectNode root = (ObjectNode) JSON.readTree(config.toFile());
        edit.accept(root);
        JSON.writeValue(config.toFile(), root);
        return ckpt;
    }

    private Cli.Result export(Path ckpt, String... extra) {
        String[] args = new String[3 + extra.length];
        args[0] = "export";
        args[1] = ckpt.toString();
        args[2] = "-o" + tmp.resolve("m");
        System.arraycopy(extra, 0, args, 3, extra.length);
        return Cli.run(args);
    }

    /** A header length one byte short shifted every weight by a byte and exported with exit code 0. */
    @Test
    void safetensorsHeaderLengthOneByteShort() throws IOException {
        Path ckpt = ExportCommandTest.copyCheckpoint(tmp.resolve("ckpt"));
        Path weights = ckpt.resolve("model.safetensors");
        try (FileChannel ch = FileChannel.open(weights, StandardOpenOption.WRITE)) {
            ByteBuffer b = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
            b.putLong(0, ExportCommandTest.headerLength(weights) - 1);
            ch.write(b, 0);
        }
        Cli.failsWith(export(ckpt), "model.safetensors", "data section");
        assertFalse(Files.exists(tmp.resolve("m")));
    }

    @Test
    void safetensorsWithTrailingBytes() throws IOException {
        Path ckpt = ExportCommandTest.copyCheckpoint(tmp.resolve("ckpt"));
        Files.write(ckpt.resolve("model.safetensors"), new byte[] {1, 2, 3}, StandardOpenOption.APPEND);
        Cli.failsWith(export(ckpt), "model.safetensors", "data section");
    }

    /** num_hidden_layers 1e9 ran out of memory in the exporter; now it is refused before any graph is sized. */
    @Test
    void absurdLayerCountIsRefusedBeforeAllocating() throws IOException {
        Path text = checkpointWithConfig(r -> ((ObjectNode) r.get("text_config")).put("num_hidden_layers",
                1_000_000_000));
        Cli.Result r = assertTimeoutPreemptively(Duration.ofSeconds(30), () -> export(text));
        Cli.failsWith(r, "text_config.num_hidden_layers 1000000000", "exceeds the 4 layers", "layers.0-3");
        Path vision = checkpointWithConfig(c -> ((ObjectNode) c.get("vision_config")).put("num_hidden_layers",
                1_000_000_000));
        Cli.failsWith(assertTimeoutPreemptively(Duration.ofSeconds(30), () -> export(vision)),
                "vision_config.num_hidden_layers 1000000000");
    }

    /** num_hidden_layers 3 of 4 exported 3 layers silently; the unused weights are now named, unless allowed. */
    @Test
    void fewerLayersThanTheWeightsAreRefusedUnlessAllowed() throws IOException {
        Path ckpt = checkpointWithConfig(r -> ((ObjectNode) r.get("text_config")).put("num_hidden_layers", 3));
        Cli.failsWith(export(ckpt), "text_config.num_hidden_layers 3", "leaves out layers 3-3",
                "language_model.model.layers.3", "--allow-unused-layers");
        assertFalse(Files.exists(tmp.resolve("m")));
        Cli.ok("export", ckpt.toString(), "-o", tmp.resolve("m").toString(), "--allow-unused-layers");
        assertEquals(3, ModelManifest.read(tmp.resolve("m")).dims().layers());
    }

    /** Like MODEL_DIR for run, a file given as CHECKPOINT_DIR is said to be a file, not to lack a config.json. */
    @Test
    void aFileGivenAsTheCheckpoint() throws IOException {
        Path file = Files.writeString(tmp.resolve("model.safetensors"), "x");
        Cli.failsWith(export(file), file + " is a file, not a directory");
        Cli.failsWith(export(tmp.resolve("absent")), "absent has no config.json");
    }
}
