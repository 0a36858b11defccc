package org.vlmscope.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.vlmscope.core.SafetensorsWriter;
import org.vlmscope.core.SafetensorsWriter.NamedTensor;

/**
 * Fuzzing findings on {@code diff}: {@code --fail-above} exited 0 when a tensor was missing from one side or the
 * shapes differed, and accepted NaN; a dump with trailing bytes was read.
 */
class DiffBadInputTest {
    @TempDir
    Path tmp;

    private Path dump(String name, NamedTensor... tensors) {
        Path file = tmp.resolve(name + ".safetensors");
        SafetensorsWriter.writeAll(file, Map.of(), List.of(tensors));
        return file;
    }

    private static NamedTensor resid(int layer, float... values) {
        return NamedTensor.ofFloats("blocks." + layer + ".hook_resid_post", new long[] {1, values.length}, values);
    }

    @Test
    void identicalDumpsPass() {
        Path a = dump("a", resid(0, 1, 2), resid(1, 3, 4));
        assertEquals(0, Cli.ok("diff", a.toString(), a.toString(), "--fail-above", "0").code());
    }

    @Test
    void aTensorInOneDumpOnlyFails() {
        Path a = dump("a", resid(0, 1, 2), resid(1, 3, 4));
        Path b = dump("b", resid(0, 1, 2));
        Cli.Result r = Cli.run("diff", a.toString(), b.toString(), "--fail-above", "10");
        assertEquals(1, r.code(), r::toString);
        assertTrue(r.err().contains("blocks.1.hook_resid_post: only in A"), r::toString);
        assertEquals(1, Cli.run("diff", b.toString(), a.toString(), "--fail-above", "10").code());
        assertEquals(0, Cli.run("diff", a.toString(), b.toString()).code(), "without --fail-above only a report");
    }

    @Test
    void differentShapesFail() {
        Path a = dump("a", resid(0, 1, 2));
        Path b = dump("b", resid(0, 1, 2, 3));
        Cli.Result r = Cli.run("diff", a.toString(), b.toString(), "--fail-above", "10");
        assertEquals(1, r.code(), r::toString);
        assertTrue(r.err().contains("shapes differ"), r::toString);
    }

    @Test
    void nanValuesFail() {
        Path a = dump("a", resid(0, 1, 2));
        Path b = dump("b", resid(0, 1, Float.NaN));
        assertEquals(1, Cli.run("diff", a.toString(), b.toString(), "--fail-above", "10").code());
    }

    @Test
    void aNanOrNegativeToleranceIsAUsageError() {
        Path a = dump("a", resid(0, 1, 2));
        Cli.usageError(Cli.run("diff", a.toString(), a.toString(), "--fail-above", "NaN"), "--fail-above", "NaN");
        Cli.usageError(Cli.run("diff", a.toString(), a.toString(), "--fail-above", "-1"), "--fail-above");
    }

    @Test
    void trailingBytesAreRefused() throws IOException {
        Path a = dump("a", resid(0, 1, 2));
        Path b = dump("b", resid(0, 1, 2));
        Files.write(b, new byte[] {0, 0, 0, 0}, StandardOpenOption.APPEND);
        Cli.failsWith(Cli.run("diff", a.toString(), b.toString()), b.toString(), "data section");
    }

    /** Lens tensors are split by their first axis; an empty one used to divide by zero. */
    @Test
    void emptyLensTensorsCompareWithoutDividingByZero() {
        NamedTensor empty = NamedTensor.ofFloats("lens.top_probs", new long[] {0, 1, 3, 5}, new float[0]);
        Path a = dump("a", empty);
        assertEquals(0, Cli.ok("diff", a.toString(), a.toString(), "--fail-above", "0").code());
    }
}
