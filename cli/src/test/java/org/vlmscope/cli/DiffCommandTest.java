package org.vlmscope.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.vlmscope.core.SafetensorsWriter;
import org.vlmscope.core.SafetensorsWriter.NamedTensor;
import org.vlmscope.golden.GoldenFixture;
import org.vlmscope.runtime.diff.ActivationDiff;
import org.vlmscope.runtime.diff.DiffRow;

/** {@code vlmscope diff}: fp32 against fp16, and a clean run against an ablated one, layer by layer. */
class DiffCommandTest {
    @TempDir
    static Path shared;
    static GoldenFixture golden;
    static Path inputs;
    static Path fp32;

    @BeforeAll
    static void exportBoth() {
        golden = GoldenFixture.load("llava-tiny");
        fp32 = shared.resolve("fp32");
        Cli.ok("export", golden.checkpoint().toString(), "-o", fp32.toString());
        Cli.ok("export", golden.checkpoint().toString(), "-o", shared.resolve("fp16").toString(), "--dtype", "fp16");
        inputs = RunCommandTest.writeInputs(shared.resolve("in.safetensors"),
                NamedTensor.ofLongs("input_ids", new long[] {golden.inputIds().length}, golden.inputIds()),
                NamedTensor.ofFloats("pixel_values", new long[] {1, 3, 336, 336}, golden.floats("pixel_values")));
    }

    @AfterAll
    static void close() {
        golden.close();
    }

    private static Path run(Path model, String name, String... extra) {
        Path cache = shared.resolve(name + ".safetensors");
        List<String> args = new java.util.ArrayList<>(List.of("run", model.toString(), "--inputs", inputs.toString(),
                "--cache", cache.toString(), "--hooks", "blocks.*.hook_resid_post", "--device", "cpu"));
        args.addAll(List.of(extra));
        Cli.ok(args.toArray(String[]::new));
        return cache;
    }

    /** Half precision departs a little from fp32 at every layer: rounding noise, not a different computation. */
    @Test
    void fp32AgainstFp16PrintsPerLayerErrors() {
        Path a = run(fp32, "clean32");
        Path b = run(shared.resolve("fp16"), "clean16");
        Cli.Result r = Cli.ok("diff", a.toString(), b.toString());
        for (int layer = 0; layer < 4; layer++) {
            assertTrue(r.out().matches("(?s).*blocks\\.\\*\\.hook_resid_post\\s+" + layer + "\\s.*"), r::toString);
        }
        for (DiffRow row : ActivationDiff.compare(a, b)) {
            assertTrue(row.relativeL2() > 0 && row.relativeL2() < 1e-2, row.toString());
            assertTrue(row.cosine() > 0.9999, row.toString());
        }
        assertEquals(1, Cli.run("diff", a.toString(), b.toString(), "--fail-above", "1e-6").code());
        assertEquals(0, Cli.run("diff", a.toString(), b.toString(), "--fail-above", "10").code());
    }

    /**
     * Mean-ablating the visual tokens changes the residual stream from layer 0 on; diffing a run with itself shows
     * no difference at all.
     */
    @Test
    void cleanAgainstAblatedShowsWhereTheResidualStreamDeparts() {
        Path vector = shared.resolve("mean.safetensors");
        SafetensorsWriter.writeAll(vector, Map.of(), List.of(NamedTensor.ofFloats("mean", new long[] {64},
                golden.floats("ablation.mean_vector"))));
        Path clean = run(fp32, "clean");
        Path ablated = run(fp32, "ablated", "--ablate", "4-579", "--ablate-with", vector.toString());
        List<DiffRow> rows = ActivationDiff.compare(clean, ablated);
        for (DiffRow row : rows) {
            assertTrue(row.maxAbs() > 1e-3, row.toString());
        }
        Cli.Result r = Cli.ok("diff", clean.toString(), ablated.toString(), "--format", "csv");
        assertTrue(r.out().startsWith("tensor,layer,elements,max_abs"), r::toString);
        for (DiffRow row : ActivationDiff.compare(clean, clean)) {
            assertEquals(0.0, row.maxAbs(), row.toString());
        }
    }
}
