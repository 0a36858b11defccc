package org.vlmscope.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code bench primitives --only}: the primitives named run, in the benchmark's order, and no other. */
class BenchPrimitivesCommandTest {
    @TempDir
    Path tmp;

    @Test
    void onlyTheNamedPrimitivesRun() throws IOException {
        DemoModel demo = DemoModel.write(tmp);
        Path json = tmp.resolve("bench.json");
        Cli.ok("bench", "primitives", "--model", demo.model().toString(), "--image", demo.image().toString(),
                "--reps", "1", "--only", "b_prefill_lm,b_prefill", "--json", json.toString());
        JsonNode timings = new ObjectMapper().readTree(json.toFile()).path("timings");
        List<String> names = new ArrayList<>();
        timings.fieldNames().forEachRemaining(names::add);
        assertEquals(List.of("b_prefill", "b_prefill_lm"), names);
        assertEquals(1, timings.path("b_prefill_lm").path("n").asInt());
    }

    /** Refused before the model or the image is read. */
    @Test
    void anUnknownPrimitiveIsNamedWithTheKnownOnes() throws IOException {
        Path image = Files.writeString(tmp.resolve("x.png"), "never read");
        Cli.failsWith(Cli.run("bench", "primitives", "--model", tmp.toString(), "--image", image.toString(),
                "--only", "b_prefil"), "'b_prefil'", "b_prefill_lm", "g_generate_10");
    }
}
