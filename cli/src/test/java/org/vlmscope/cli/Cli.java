package org.vlmscope.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import picocli.CommandLine;

/**
 * Runs the real command line in-process with stdout and stderr captured. Public so that the golden tests drive
 * the CLI the same way.
 */
public final class Cli {
    public record Result(int code, String out, String err) {
        @Override
        public String toString() {
            return "exit " + code + "\n--- stdout\n" + out + "--- stderr\n" + err;
        }
    }

    private Cli() {
    }

    public static Result run(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        CommandLine cl = Main.commandLine();
        cl.setOut(new PrintWriter(out, true));
        cl.setErr(new PrintWriter(err, true));
        int code = cl.execute(args);
        return new Result(code, out.toString(), err.toString());
    }

    public static Result ok(String... args) {
        Result r = run(args);
        assertEquals(0, r.code(), () -> r.toString());
        return r;
    }

    /**
     * A failure reported as one line {@code vlmscope: error: ...} naming each of {@code named}, exit code 1, no
     * stack trace.
     */
    public static String failsWith(Result r, String... named) {
        assertEquals(1, r.code(), () -> r.toString());
        String err = r.err().strip();
        assertFalse(err.contains("\n"), () -> "more than one line on stderr:\n" + r);
        assertTrue(err.startsWith("vlmscope: error: "), () -> r.toString());
        assertFalse(err.contains("at org."), () -> r.toString());
        for (String n : named) {
            assertTrue(err.contains(n), () -> "message does not name '" + n + "':\n" + r);
        }
        return err;
    }

    /** A usage error: exit code 2, the message naming each of {@code named}, then the usage. */
    public static void usageError(Result r, String... named) {
        assertEquals(2, r.code(), () -> r.toString());
        assertFalse(r.err().contains("at org."), () -> r.toString());
        assertTrue(r.err().contains("Usage:"), () -> r.toString());
        for (String n : named) {
            assertTrue(r.err().contains(n), () -> "message does not name '" + n + "':\n" + r);
        }
    }
}
