package org.vlmscope.cli;

import static org.junit.jupiter.api.Assertions.assertFalse;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import java.util.zip.CRC32;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.vlmscope.core.SafetensorsWriter.NamedTensor;
import org.vlmscope.models.DemoCheckpoint;

/**
 * Bad input to {@code run --image/--prompt/--raw-prompt/--inputs}: a clear one-line error with exit 1 where a file
 * is at fault, a usage error (exit 2) where options do not go together or an option's value is wrong.
 */
class RunPromptErrorsTest {
    private static final String QUESTION = "What is in this image?";

    @TempDir
    static Path shared;
    static DemoModel demo;

    @TempDir
    Path tmp;

    @BeforeAll
    static void export() {
        demo = DemoModel.write(shared);
    }

    /** run MODEL --image IMG --prompt QUESTION, then {@code more}. */
    private static Cli.Result runPrompt(Path image, String... more) {
        List<String> args = new ArrayList<>(List.of("run", demo.model().toString(), "--image", image.toString(),
                "--prompt", QUESTION, "--device", "cpu"));
        args.addAll(List.of(more));
        return Cli.run(args.toArray(String[]::new));
    }

    @Test
    void fileThatIsNotAnImage() throws IOException {
        Path text = Files.writeString(tmp.resolve("notes.png"), "just some text, not a picture");
        Cli.failsWith(runPrompt(text), text.toString(), "not an image", "JPEG or PNG");
    }

    @Test
    void emptyImageFile() throws IOException {
        Path empty = Files.createFile(tmp.resolve("empty.jpg"));
        Cli.failsWith(runPrompt(empty), empty.toString(), "empty");
    }

    @Test
    void missingImageFile() {
        Path absent = tmp.resolve("absent.png");
        Cli.failsWith(runPrompt(absent), absent.toString(), "does not exist");
    }

    /**
     * 45 bytes claiming 10^10 pixels (30 GB of RGB): refused from the header, so the default test heap is never
     * asked for the pixels.
     */
    @Test
    void imageHeaderClaimingTenBillionPixels() throws IOException {
        Path huge = Files.write(tmp.resolve("huge.png"), pngHeader(100_000, 100_000));
        Cli.failsWith(runPrompt(huge), huge.toString(), "100000x100000", "limit");
    }

    @Test
    void rawPromptWithoutImagePlaceholderBesideAnImage() {
        Cli.usageError(Cli.run("run", demo.model().toString(), "--image", demo.image().toString(), "--raw-prompt",
                "USER: What is this? ASSISTANT:"), "--raw-prompt", "holds 0 <image>", "exactly one");
        Cli.usageError(Cli.run("run", demo.model().toString(), "--image", demo.image().toString(), "--raw-prompt",
                "<image><image> twice"), "holds 2 <image>");
    }

    /** A raw prompt holds one placeholder per --image; a LLaVA prompt takes one image. */
    @Test
    void severalImages() {
        String m = demo.model().toString();
        String img = demo.image().toString();
        Cli.usageError(Cli.run("run", m, "--image", img, "--image", img, "--raw-prompt", "USER: <image>\nx ASSISTANT:"),
                "--raw-prompt", "holds 1 <image>", "with 2 --image", "exactly 2");
        Cli.failsWith(Cli.run("run", m, "--image", img, "--image", img, "--prompt", QUESTION), "llava",
                "one image", "got 2 images");
    }

    @Test
    void imagePlaceholderWithoutAnImage() {
        Cli.usageError(Cli.run("run", demo.model().toString(), "--raw-prompt", DemoCheckpoint.DEMO_PROMPT),
                "--raw-prompt", "<image>", "no --image");
    }

    @Test
    void promptNeedsAnImage() {
        Cli.usageError(Cli.run("run", demo.model().toString(), "--prompt", QUESTION), "--prompt", "--image",
                "--raw-prompt");
    }

    /** The template places the image; a question that places it too is refused by the prompt builder. */
    @Test
    void questionHoldingTheImagePlaceholder() {
        Cli.failsWith(Cli.run("run", demo.model().toString(), "--image", demo.image().toString(), "--prompt",
                "<image> what?"), "<image>", "template places");
    }

    @Test
    void twoInputsAtOnce() {
        String m = demo.model().toString();
        String img = demo.image().toString();
        Cli.usageError(Cli.run("run", m, "--image", img, "--prompt", QUESTION, "--raw-prompt", "<image> x"),
                "--prompt and --raw-prompt", "exactly one");
        Cli.usageError(Cli.run("run", m, "--image", img, "--prompt", QUESTION, "--inputs", "x.safetensors"),
                "--prompt and --inputs", "exactly one");
        Cli.usageError(Cli.run("run", m, "--raw-prompt", "x", "--inputs", "x.safetensors"),
                "--raw-prompt and --inputs", "exactly one");
    }

    @Test
    void noInputAtAll() {
        Cli.usageError(Cli.run("run", demo.model().toString(), "--image", demo.image().toString()), "no input",
                "--prompt", "--raw-prompt", "--inputs");
    }

    @Test
    void missingTokenizer() throws IOException {
        Path bare = Files.createDirectories(tmp.resolve("no-tokenizer"));
        try (Stream<Path> files = Files.list(demo.model())) {
            for (Path f : files.toList()) {
                if (!f.getFileName().toString().equals("tokenizer.json")) {
                    Files.copy(f, bare.resolve(f.getFileName()));
                }
            }
        }
        Cli.failsWith(Cli.run("run", bare.toString(), "--image", demo.image().toString(), "--prompt", QUESTION),
                bare.toString(), "tokenizer.json");
        // Prepared ids need no tokenizer.
        Path ids = RunCommandTest.writeInputs(tmp.resolve("ids.safetensors"),
                NamedTensor.ofLongs("input_ids", new long[] {14}, DemoCheckpoint.demoInputIds()));
        Cli.ok("run", bare.toString(), "--image", demo.image().toString(), "--inputs", ids.toString(), "--device", "cpu");
    }

    @Test
    void imageGivenTwice() {
        long[] ids = DemoCheckpoint.demoInputIds();
        Path in = RunCommandTest.writeInputs(tmp.resolve("in.safetensors"),
                NamedTensor.ofLongs("input_ids", new long[] {1, ids.length}, ids), DemoModel.pixelValues());
        Cli.usageError(Cli.run("run", demo.model().toString(), "--image", demo.image().toString(), "--inputs",
                in.toString()), "--image", "pixel_values", "drop one");
    }

    @Test
    void idsWithoutImageTokenBesideAnImage() {
        Path in = RunCommandTest.writeInputs(tmp.resolve("text.safetensors"),
                NamedTensor.ofLongs("input_ids", new long[] {3}, new long[] {1, 357, 285}));
        Cli.failsWith(Cli.run("run", demo.model().toString(), "--image", demo.image().toString(), "--inputs",
                in.toString()), "--image", "no image token", "1000");
    }

    @Test
    void templateOptionsNeedPrompt() {
        Cli.usageError(Cli.run("run", demo.model().toString(), "--raw-prompt", "x", "--vqa"), "--vqa",
                "--raw-prompt");
        Cli.usageError(Cli.run("run", demo.model().toString(), "--inputs", "x.safetensors", "--fidelity", "code"),
                "--fidelity", "--inputs");
    }

    @Test
    void badOptionValues() {
        Cli.usageError(runPrompt(demo.image(), "--fidelity", "poetic"), "'poetic' is not a fidelity",
                "paper or code");
        Cli.usageError(runPrompt(demo.image(), "--max-new-tokens", "-1"), "--max-new-tokens", "-1");
    }

    /** attribute reads its input through the same options and refuses the same mistakes. */
    @Test
    void attributeSharesTheChecks() throws IOException {
        Path out = tmp.resolve("ig.safetensors");
        Cli.usageError(Cli.run("attribute", demo.model().toString(), "--image", demo.image().toString(),
                "--raw-prompt", "no placeholder", "--target", "5", "-o", out.toString()), "holds 0 <image>");
        Path text = Files.writeString(tmp.resolve("notes.jpg"), "text");
        Cli.failsWith(Cli.run("attribute", demo.model().toString(), "--image", text.toString(), "--prompt", QUESTION,
                "--target", "5", "-o", out.toString()), text.toString(), "not an image");
        assertFalse(Files.exists(out));
    }

    /** A PNG signature, an IHDR chunk for an 8-bit RGB image of the given size and IEND: no pixel data. */
    private static byte[] pngHeader(int width, int height) {
        ByteBuffer b = ByteBuffer.allocate(8 + 25 + 12);
        b.put(new byte[] {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n'});
        ByteBuffer ihdr = ByteBuffer.allocate(13).putInt(width).putInt(height).put(new byte[] {8, 2, 0, 0, 0});
        chunk(b, "IHDR", ihdr.array());
        chunk(b, "IEND", new byte[0]);
        return b.array();
    }

    private static void chunk(ByteBuffer out, String type, byte[] data) {
        CRC32 crc = new CRC32();
        crc.update(type.getBytes(StandardCharsets.US_ASCII));
        crc.update(data);
        out.putInt(data.length).put(type.getBytes(StandardCharsets.US_ASCII)).put(data)
                .putInt((int) crc.getValue());
    }
}
