package org.vlmscope.cli;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class MainTest {
    @TempDir
    Path tmp;

    @ParameterizedTest
    @ValueSource(strings = {"export", "inspect", "surgery", "run", "demo"})
    void everyCommandHasHelp(String command) {
        Cli.Result r = Cli.ok(command, "--help");
        assertTrue(r.out().contains("Usage: vlmscope " + command), r::toString);
    }

    @Test
    void versionAndTopLevelHelp() {
        assertTrue(Cli.ok("--version").out().contains("vlmscope " + Main.VERSION));
        String help = Cli.ok("--help").out();
        for (String command : new String[] {"export", "inspect", "surgery", "run", "demo"}) {
            assertTrue(help.contains(command), help);
        }
    }

    @Test
    void unknownOptionIsAUsageError() {
        Cli.usageError(Cli.run("inspect", "--frobnicate", "x"), "--frobnicate");
    }

    @Test
    void noCommandIsAUsageError() {
        Cli.usageError(Cli.run(), "missing command");
    }

    @Test
    void verbosePrintsTheStackTraceAfterTheMessage() {
        Path absent = tmp.resolve("absent");
        for (String[] args : new String[][] {{"--verbose", "inspect", absent.toString()},
                                             {"inspect", absent.toString(), "--verbose"}}) {
            Cli.Result r = Cli.run(args);
            assertTrue(r.code() == 1 && r.err().startsWith("vlmscope: error: " + absent), r::toString);
            assertTrue(r.err().contains("at org.vlmscope.cli.InspectCommand"), r::toString);
        }
    }
}
