package org.vlmscope.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
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
        Path file = Files.writeString(tmp.resolve("model.onnx"), "not a directory");
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
}
