package org.vlmscope.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.onnx.proto.OnnxMl.TensorProto;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.vlmscope.graph.OnnxModel;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Fuzzing findings on {@code run} and {@code surgery} arguments, on the demo model. */
class RunBadInputTest {
    @TempDir
    static Path shared;
    static DemoModel demo;

    @TempDir
    Path tmp;

    @BeforeAll
    static void export() {
        demo = DemoModel.write(shared);
    }

    private static Cli.Result run(Path model, String... more) {
        String[] args = new String[6 + more.length];
        System.arraycopy(new String[] {"run", model.toString(), "--image", demo.image().toString(), "--prompt",
                "What is this?"}, 0, args, 0, 6);
        System.arraycopy(more, 0, args, 6, more.length);
        return Cli.run(args);
    }

    /** A file given as MODEL_DIR was reported as "does not exist". */
    @Test
    void aFileGivenAsTheModelDirectory() throws IOException {
        Path file = Files.writeString(tmp.resolve("model.bin"), "not a directory");
        Cli.failsWith(run(file), file + " is a file, not a directory");
    }

    /** {@code --lens-targets 9,3} was accepted though the help says ascending. */
    @Test
    void lensTargetsMustBeAscending() {
        Path out = tmp.resolve("out.onnx");
        String decoder = demo.model().resolve("decoder.onnx").toString();
        Cli.usageError(Cli.run("surgery", decoder, "-o", out.toString(), "--lens", "3", "--lens-targets", "9,3"),
                "--lens-targets 9,3", "ascending", "3 follows 9");
        Cli.usageError(Cli.run("surgery", decoder, "-o", out.toString(), "--lens", "3", "--lens-targets", "3,1-5"),
                "ascending");
        Cli.usageError(Cli.run("surgery", decoder, "-o", out.toString(), "--lens", "3", "--lens-targets", "3,3"),
                "without repeats");
        Cli.usageError(run(demo.model(), "--cache", tmp.resolve("c.safetensors").toString(), "--lens", "3",
                "--lens-targets", "9,3"), "ascending");
        Cli.ok("surgery", decoder, "-o", out.toString(), "--lens", "3", "--lens-targets", "3,9-11");
    }

    /** {@code --ablate 0-2147483647} built positions for 17 s and ran out of memory; now it is refused at once. */
    @Test
    void hugePositionRangesAreRefusedBeforeExpanding() {
        Cli.Result r = org.junit.jupiter.api.Assertions.assertTimeoutPreemptively(java.time.Duration.ofSeconds(10),
                () -> run(demo.model(), "--ablate", "0-2147483647", "--ablate-with", "v.safetensors"));
        Cli.usageError(r, "--ablate", "0-2147483647", "beyond any model");
        Cli.usageError(run(demo.model(), "--knockout", "0-5:6@0-2000000000"), "--knockout", "beyond any model");
    }

    /**
     * {@code --max-new-tokens 2000000000} ran out of memory allocating the answer; a budget beyond the model's
     * context (max_position_embeddings, recorded in vlmscope.json) is now refused before anything runs.
     */
    @Test
    void aGenerationBudgetBeyondTheContextIsRefused() {
        int context = org.vlmscope.core.ModelManifest.read(demo.model()).dims().contextLength();
        Cli.Result r = org.junit.jupiter.api.Assertions.assertTimeoutPreemptively(java.time.Duration.ofSeconds(30),
                () -> run(demo.model(), "--max-new-tokens", "2000000000"));
        Cli.usageError(r, "max new tokens 2000000000", "context of " + context);
        Cli.usageError(run(demo.model(), "--max-new-tokens", Integer.toString(context)), "context of " + context);
    }

    /** vlmscope.json's dims are checked against the shapes the graphs declare (a manifest from another export). */
    @Test
    void manifestDimsThatDisagreeWithTheGraphsAreRefused() throws IOException {
        org.vlmscope.core.ModelManifest.Dims d = org.vlmscope.core.ModelManifest.read(demo.model()).dims();
        Object[][] edits = {{"dModel", d.dModel() * 2, "image_features"}, {"layers", d.layers() - 1, "KV cache inputs"},
                {"vocab", d.vocab() * 2, "logits"}, {"kvHeads", d.heads(), "past_key_values.0.key"}};
        com.fasterxml.jackson.databind.ObjectMapper json = new com.fasterxml.jackson.databind.ObjectMapper();
        for (Object[] edit : edits) {
            Path model = copyOfTheModel();
            Path manifest = model.resolve("vlmscope.json");
            var root = (com.fasterxml.jackson.databind.node.ObjectNode) json.readTree(manifest.toFile());
            ((com.fasterxml.jackson.databind.node.ObjectNode) root.get("dims")).put((String) edit[0], (int) edit[1]);
            json.writeValue(manifest.toFile(), root);
            Cli.failsWith(run(model), manifest.toString(), "dims." + edit[0] + " is " + edit[1], (String) edit[2],
                    "export the model again");
            org.vlmscope.core.Directories.deleteRecursively(model);
        }
    }

    /** A valid 1x5000 PNG ran out of memory in the resizer; now the image and the config are named instead. */
    @Test
    void anImageOfExtremeAspectRatioIsNamed() throws IOException {
        java.awt.image.BufferedImage strip = new java.awt.image.BufferedImage(1, 5000,
                java.awt.image.BufferedImage.TYPE_INT_RGB);
        Path image = tmp.resolve("strip.png");
        javax.imageio.ImageIO.write(strip, "png", image.toFile());
        Cli.Result r = org.junit.jupiter.api.Assertions.assertTimeoutPreemptively(java.time.Duration.ofSeconds(30),
                () -> Cli.run("run", demo.model().toString(), "--image", image.toString(), "--prompt", "What?"));
        Cli.failsWith(r, image.toString(), "preprocessor_config.json", "1x5000", "too extreme");
    }

    /** A run that fails leaves an existing cache file as it was and no temporary file beside it. */
    @Test
    void aFailingRunNeverTouchesAGoodCache() throws IOException {
        Path cache = tmp.resolve("cache.safetensors");
        Cli.ok("run", demo.model().toString(), "--image", demo.image().toString(), "--prompt", "What is this?",
                "--max-new-tokens", "1", "--cache", cache.toString(), "--device", "cpu");
        byte[] good = Files.readAllBytes(cache);
        Path broken = copyOfTheModel();
        try (FileChannel ch = FileChannel.open(broken.resolve("decoder.onnx.data"), StandardOpenOption.WRITE)) {
            ch.truncate(1000);
        }
        Cli.failsWith(run(broken, "--cache", cache.toString()), "decoder.onnx.data");
        org.junit.jupiter.api.Assertions.assertArrayEquals(good, Files.readAllBytes(cache));
        try (Stream<Path> files = Files.list(tmp)) {
            assertEquals(List.of("cache.safetensors", "model"), files.map(f -> f.getFileName().toString()).sorted()
                    .toList());
        }
    }

    private Path copyOfTheModel() throws IOException {
        Path copy = Files.createDirectories(tmp.resolve("model"));
        try (Stream<Path> files = Files.list(demo.model())) {
            for (Path f : files.toList()) {
                Files.copy(f, copy.resolve(f.getFileName()));
            }
        }
        return copy;
    }

    private static void assertNoOrtInternals(Cli.Result r) {
        assertFalse(r.err().contains("ORT_"), r::toString);
        assertFalse(r.err().contains(".cc:"), r::toString);
        assertFalse(r.err().contains("Error code"), r::toString);
    }

    /** A truncated .data file ended in ONNX Runtime's own text ("ORT_FAIL ... tensorprotoutils.cc:1753 ..."). */
    @Test
    void aTruncatedWeightFileIsNamed() throws IOException {
        Path model = copyOfTheModel();
        Path data = model.resolve("decoder.onnx.data");
        try (FileChannel ch = FileChannel.open(data, StandardOpenOption.WRITE)) {
            ch.truncate(100_000);
        }
        Cli.Result r = run(model);
        Cli.failsWith(r, data.toString(), "holds 100000 bytes", "decoder.onnx reads initializer", "truncated");
        assertNoOrtInternals(r);
    }

    /** A graph ONNX Runtime refuses: one line naming the file, without ORT's status code or source location. */
    @Test
    void aBrokenGraphIsNamed() throws IOException {
        Path model = copyOfTheModel();
        Path decoder = model.resolve("decoder.onnx");
        byte[] bytes = Files.readAllBytes(decoder);
        // op_type (field 4, length 7) "Softmax" becomes "Softmix", an op no runtime has.
        String text = new String(bytes, StandardCharsets.ISO_8859_1).replace("\"\007Softmax", "\"\007Softmix");
        Files.write(decoder, text.getBytes(StandardCharsets.ISO_8859_1));
        Cli.Result r = run(model);
        Cli.failsWith(r, decoder.toString(), "Softmix");
        assertNoOrtInternals(r);
    }

    /**
     * ONNX Runtime's native logger writes its own coloured lines to the process's stderr (here a warning about an
     * initializer no node uses); vlmscope limits it to errors, so a successful run prints only vlmscope's lines.
     * Runs the CLI in a child JVM, since native output bypasses the in-process capture.
     */
    @Test
    void onnxRuntimesOwnWarningsStaySilent() throws IOException, InterruptedException {
        Path model = copyOfTheModel();
        Path embed = model.resolve("embed.onnx");
        OnnxModel graph = OnnxModel.load(embed);
        graph.graph().addInitializer(TensorProto.newBuilder().setName("unused_by_any_node")
                .setDataType(TensorProto.DataType.FLOAT_VALUE).addDims(1).addFloatData(1f).build());
        graph.save(embed);
        List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java")
                .toString(), "-cp", System.getProperty("java.class.path"), Main.class.getName(), "run",
                model.toString(), "--image", demo.image().toString(), "--prompt", "What is this?",
                "--max-new-tokens", "1", "--device", "cpu"));
        Path out = tmp.resolve("child.out");
        Process p = new ProcessBuilder(command).redirectOutput(out.toFile()).start();
        String err = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
        assertFalse(!p.waitFor(60, TimeUnit.SECONDS), "the child run finished");
        assertEquals(0, p.exitValue(), err);
        assertTrue(Files.readString(out).contains("answer ("), () -> "the child run did not answer:\n" + err);
        assertFalse(err.contains("onnxruntime"), "ONNX Runtime's native log reached stderr:\n" + err);
        assertFalse(err.contains("[W:") || err.contains("[E:"), "native log lines on stderr:\n" + err);
    }
}
