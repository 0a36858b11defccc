package org.vlmscope.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** --threads, --quiet and the provider line, on the demo model with a text-only prompt. */
class RuntimeOptionsTest {
    private static final String PROVIDER_LINE = "vlmscope: running on CPUExecutionProvider (--device cpu)";

    @TempDir
    static Path shared;
    static DemoModel demo;

    @BeforeAll
    static void export() {
        demo = DemoModel.write(shared);
    }

    private static Cli.Result run(String... extra) {
        String[] base = {"run", demo.model().toString(), "--raw-prompt", "Hello", "--max-new-tokens", "2",
                "--device", "cpu"};
        String[] args = new String[base.length + extra.length];
        System.arraycopy(base, 0, args, 0, base.length);
        System.arraycopy(extra, 0, args, base.length, extra.length);
        return Cli.ok(args);
    }

    @Test
    void theProviderLineIsPrintedOnceOnStderrWithThreads() {
        Cli.Result r = run("--threads", "1");
        assertEquals(PROVIDER_LINE + " with 1 intra-op threads", r.err().strip(), r::toString);
        assertFalse(r.out().contains("running on"), r::toString);
    }

    @Test
    void quietLeavesStderrEmptyAndTheAnswerUnchanged() {
        Cli.Result loud = run();
        Cli.Result quiet = run("--quiet");
        assertEquals(PROVIDER_LINE, loud.err().strip(), loud::toString);
        assertEquals("", quiet.err(), quiet::toString);
        assertEquals(loud.out(), quiet.out());
    }

    @Test
    void threadsBelowOneIsAUsageError() {
        Cli.Result r = Cli.run("run", demo.model().toString(), "--raw-prompt", "Hello", "--threads", "0");
        assertEquals(2, r.code(), r::toString);
        assertTrue(r.err().contains("--threads must be 1 or more, got 0"), r::toString);
    }
}
