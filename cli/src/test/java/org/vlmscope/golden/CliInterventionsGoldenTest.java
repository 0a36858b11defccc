package org.vlmscope.golden;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.vlmscope.cli.Main;
import org.vlmscope.core.SafetensorsFile;
import org.vlmscope.core.SafetensorsWriter;
import org.vlmscope.core.SafetensorsWriter.NamedTensor;
import org.vlmscope.runtime.intervene.Positions;
import picocli.CommandLine;

/**
 * Mean ablation, attention knockout and the logit lens through the command line ({@code vlmscope export}, then
 * {@code vlmscope run} with the intervention options), read back from the {@code --cache} file and checked
 * against Hugging Face's results on both LLaVA golden fixtures. It lives beside {@link InterventionsGoldenTest}
 * to share its helpers.
 */
class CliInterventionsGoldenTest {
    private static final List<String> FIXTURES = List.of("llava-tiny", "llava-phi3-dev");

    @TempDir
    static Path shared;
    static final Map<String, Path> MODELS = new HashMap<>();
    static final Map<String, Path> INPUTS = new HashMap<>();

    @TempDir
    Path tmp;

    @BeforeAll
    static void export() {
        for (String name : FIXTURES) {
            try (GoldenFixture f = GoldenFixture.load(name)) {
                Path model = shared.resolve(name);
                execute("export", f.checkpoint().toString(), "-o", model.toString());
                MODELS.put(name, model);
                Path in = shared.resolve(name + "-inputs.safetensors");
                SafetensorsWriter.writeAll(in, Map.of(), List.of(
                        NamedTensor.ofLongs("input_ids", new long[] {1, f.inputIds().length}, f.inputIds()),
                        InterventionsGoldenTest.pixels(f)));
                INPUTS.put(name, in);
            }
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"llava-tiny", "llava-phi3-dev"})
    void meanAblation(String name) {
        try (GoldenFixture f = GoldenFixture.load(name)) {
            float[] mean = f.floats("ablation.mean_vector");
            Path vector = tmp.resolve("mean.safetensors");
            SafetensorsWriter.writeAll(vector, Map.of(), List.of(
                    NamedTensor.ofFloats("mean_visual_token", new long[] {mean.length}, mean)));
            JsonNode cases = f.manifest.path("ablation").path("cases");
            assertEquals(2, cases.size());
            for (JsonNode c : cases) {
                String positions = Positions.format(InterventionsGoldenTest.ints(c.path("sequence_positions")));
                float[] logits = lastLogits(run(name, "--ablate", positions, "--ablate-with", vector.toString()));
                Compare.allClose("ablation." + c.path("name").asText(), f.floats(c.path("tensor").asText()), logits,
                        f.atol("logits"), f.rtol("logits"));
            }
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"llava-tiny", "llava-phi3-dev"})
    void attentionKnockout(String name) {
        try (GoldenFixture f = GoldenFixture.load(name)) {
            int target = f.manifest.path("target_token").path("id").asInt();
            JsonNode cases = f.manifest.path("knockout").path("cases");
            assertEquals(3, cases.size());
            for (JsonNode c : cases) {
                String caseName = "knockout." + c.path("name").asText();
                String spec = Positions.format(InterventionsGoldenTest.ints(c.path("key_positions"))) + ":"
                        + c.path("query_position").asInt() + "@"
                        + Positions.format(InterventionsGoldenTest.ints(c.path("layers")));
                float[] logits = lastLogits(run(name, "--knockout", spec));
                Compare.allClose(caseName, f.floats(caseName + ".final_logits"), logits, f.atol("logits"),
                        f.rtol("logits"));
                assertEquals(f.floats(caseName + ".target_prob")[0], InterventionsGoldenTest.softmax(logits)[target],
                        f.atol("target_prob"), caseName + ".target_prob");
            }
        }
    }

    /**
     * Golden layer i is lens row i + 1 (row 0 is the embeddings). Ids must match exactly except where the
     * reference's own neighbouring values are closer than the logits tolerance, so float noise may swap them.
     */
    @ParameterizedTest
    @ValueSource(strings = {"llava-tiny", "llava-phi3-dev"})
    void logitLens(String name) {
        try (GoldenFixture f = GoldenFixture.load(name);
             SafetensorsFile cache = SafetensorsFile.open(run(name, "--lens", "5"))) {
            int layers = f.manifest.path("num_layers").asInt();
            int seq = f.inputIds().length;
            assertArrayEquals(new long[] {layers + 1, 1, seq, 5}, cache.info("lens.top_ids").shape());
            int rowSize = seq * 5;
            long[] ids = cache.toLongArray("lens.top_ids");
            float[] values = Compare.rows(cache.toFloatArray("lens.top_logits"), 1, layers + 1, rowSize);
            long[] wantIds = f.longs("logit_lens.top5_ids");
            float[] wantValues = f.floats("logit_lens.top5_values");
            Compare.allClose("logit_lens.top5_values", wantValues, values, f.atol("logits"), f.rtol("logits"));
            for (int i = 0; i < wantIds.length; i++) {
                if (ids[rowSize + i] != wantIds[i]) {
                    int slot = i % 5;
                    double gapBefore = slot > 0 ? wantValues[i - 1] - wantValues[i] : Double.POSITIVE_INFINITY;
                    double gapAfter = slot < 4 ? wantValues[i] - wantValues[i + 1] : Double.POSITIVE_INFINITY;
                    assertTrue(Math.min(gapBefore, gapAfter) < f.atol("logits"), "lens id differs at flat index " + i
                            + " where the reference gap is " + Math.min(gapBefore, gapAfter));
                }
            }
        }
    }

    /** {@code vlmscope run} on the fixture's inputs with {@code options}; returns the cache file it wrote. */
    private Path run(String fixture, String... options) {
        Path cache = tmp.resolve("cache-" + System.nanoTime() + ".safetensors");
        List<String> args = new ArrayList<>(List.of("run", MODELS.get(fixture).toString(), "--inputs",
                INPUTS.get(fixture).toString(), "--cache", cache.toString(), "--device", "cpu"));
        args.addAll(List.of(options));
        execute(args.toArray(String[]::new));
        return cache;
    }

    /** vlmscope attribute: the mean vector at the (default) visual positions as baseline, IG-50 right Riemann. */
    @Test
    void integratedGradientsThroughTheCli() {
        String name = "llava-tiny";
        try (GoldenFixture f = GoldenFixture.load(name)) {
            float[] mean = f.floats("ablation.mean_vector");
            Path vector = tmp.resolve("mean.safetensors");
            SafetensorsWriter.writeAll(vector, Map.of(), List.of(NamedTensor.ofFloats("mean", new long[] {mean.length}, mean)));
            Path out = tmp.resolve("ig.safetensors");
            JsonNode ig = f.manifest.path("integrated_gradients");
            execute("attribute", MODELS.get(name).toString(), "--inputs", INPUTS.get(name).toString(), "--target",
                    ig.path("target_token").asText(), "--baseline", vector.toString(), "--steps", "50", "--rule", "right",
                    "--reduce", "sum", "--batch", "25", "-o", out.toString(), "--device", "cpu");
            JsonNode seq = f.manifest.path("sequence");
            try (SafetensorsFile c = SafetensorsFile.open(out)) {
                float[] scores = java.util.Arrays.copyOfRange(c.toFloatArray("ig.scores"),
                        seq.path("visual_start").asInt(), seq.path("visual_end_exclusive").asInt());
                Compare.allClose("ig.scores via the CLI", f.floats("ig.scores"), scores, f.atol("ig_scores"), f.rtol("ig_scores"));
                assertEquals(ig.path("completeness_gap").asDouble(),
                        Double.parseDouble(c.metadata().get("completeness_gap")), 2 * f.atol("logits"));
            }
        }
    }

    private static float[] lastLogits(Path cache) {
        try (SafetensorsFile c = SafetensorsFile.open(cache)) {
            float[] logits = c.toFloatArray("logits");
            for (float v : logits) {
                assertTrue(Float.isFinite(v), "every logit is finite");
            }
            long[] shape = c.info("logits").shape();
            return Compare.rows(logits, (int) shape[1] - 1, (int) shape[1], (int) shape[2]);
        }
    }

    /** Runs the real command line in-process; a non-zero exit fails the test with what the command printed. */
    private static void execute(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        CommandLine cl = Main.commandLine();
        cl.setOut(new PrintWriter(out, true));
        cl.setErr(new PrintWriter(err, true));
        int code = cl.execute(args);
        assertEquals(0, code, () -> String.join(" ", args) + "\n--- stdout\n" + out + "--- stderr\n" + err);
    }
}
