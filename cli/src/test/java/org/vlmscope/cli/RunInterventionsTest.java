package org.vlmscope.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.stream.Stream;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.vlmscope.runtime.summary.TopTokens;
import org.vlmscope.core.SafetensorsFile;
import org.vlmscope.core.SafetensorsWriter.NamedTensor;
import org.vlmscope.golden.Compare;
import org.vlmscope.golden.GoldenFixture;

/**
 * {@code vlmscope run} with interventions on the exported llava-tiny golden checkpoint (594 positions, 4 layers,
 * d_model 64): options combine as the runtime's interventions do, vectors come from safetensors or PyTorch files,
 * and every wrong value is a usage error naming it. The numbers themselves are checked against Hugging Face in
 * {@code org.vlmscope.golden.CliInterventionsGoldenTest}.
 */
class RunInterventionsTest {
    private static final int SEQ = 594;
    private static final int LAST = SEQ - 1;
    private static final int VOCAB = 1024;
    private static final int D = 64;
    private static final String REGION = "103-110,127-134";

    @TempDir
    static Path shared;
    static Path model;
    static Path inputs;
    /** One random vector of width d_model, alone in a file and beside another tensor in a second file. */
    static Path vector;
    static Path twoTensors;
    static Path narrow;
    static float[] values;

    @TempDir
    Path tmp;

    @BeforeAll
    static void prepare() {
        try (GoldenFixture golden = GoldenFixture.load("llava-tiny")) {
            model = shared.resolve("model");
            Cli.ok("export", golden.checkpoint().toString(), "-o", model.toString());
            inputs = RunCommandTest.writeInputs(shared.resolve("in.safetensors"),
                    NamedTensor.ofLongs("input_ids", new long[] {SEQ}, golden.inputIds()),
                    NamedTensor.ofFloats("pixel_values", new long[] {1, 3, 336, 336}, golden.floats("pixel_values")));
        }
        Random random = new Random(11);
        values = new float[D];
        for (int i = 0; i < D; i++) {
            values[i] = (float) random.nextGaussian();
        }
        vector = RunCommandTest.writeInputs(shared.resolve("v.safetensors"),
                NamedTensor.ofFloats("anything", new long[] {D}, values));
        twoTensors = RunCommandTest.writeInputs(shared.resolve("two.safetensors"),
                NamedTensor.ofFloats("other", new long[] {3}, new float[3]),
                NamedTensor.ofFloats("mean", new long[] {1, D}, values));
        narrow = RunCommandTest.writeInputs(shared.resolve("narrow.safetensors"),
                NamedTensor.ofFloats("v", new long[] {D / 2}, new float[D / 2]));
    }

    @Test
    void knockoutIsPrintedAndRecordedInTheCache() {
        Path cache = tmp.resolve("c.safetensors");
        Cli.Result r = run(cache, "--knockout", "4-579:" + LAST + "@1-2");
        // The input line comes first, then what the run changes.
        assertTrue(r.out().startsWith("input: 594 positions, visual tokens 4-579 from pixel_values; ids from ")
                && r.out().contains("\ninterventions: knockout 4-579:593@[1, 2]\n"), r::toString);
        assertTrue(r.out().contains("row 0, position 593: top-5 next tokens"), r::toString);
        try (SafetensorsFile c = SafetensorsFile.open(cache)) {
            assertEquals("4-579:593@1-2", c.metadata().get("knockout"));
            assertFalse(c.metadata().containsKey("ablate"));
        }
    }

    /** Repeating an option is the same as listing the union once: options accumulate, they do not replace. */
    @Test
    void repeatedOptionsCombine() {
        assertArrayEquals(logits("--ablate", "103-110", "--ablate", "127-134", "--ablate-with", vector.toString()),
                logits("--ablate", REGION, "--ablate-with", vector.toString()));
        assertArrayEquals(logits("--knockout", REGION + ":" + LAST + "@1", "--knockout", REGION + ":" + LAST + "@3"),
                logits("--knockout", REGION + ":" + LAST + "@1,3"));
    }

    /** Ablation is a patch of the embedding hook; FILE:TENSOR picks one tensor of several (any shape of D values). */
    @Test
    void patchOfTheEmbeddingHookIsAnAblation() {
        float[] ablated = logits("--ablate", REGION, "--ablate-with", vector.toString());
        assertArrayEquals(ablated, logits("--patch", "blocks.0.hook_resid_pre=" + twoTensors + ":mean@" + REGION));
        float[] clean = logits();
        assertTrue(Compare.maxAbsDiff(clean, ablated) > 1e-3, "the ablation changes the logits");
    }

    /** Interventions and the lens combine; each one's metadata lands in the cache beside the lens tensors. */
    @Test
    void lensUnderInterventionsGoesIntoTheCache() {
        Path cache = tmp.resolve("c.safetensors");
        Cli.Result r = run(cache, "--knockout", REGION + ":" + LAST + "@all", "--ablate", "4-20", "--ablate-with",
                vector.toString(), "--patch", "blocks.2.hook_mlp_out=" + vector + "@590-593", "--lens", "5",
                "--lens-targets", "7,39");
        assertTrue(r.out().contains("lens.top_ids, lens.top_logits, lens.top_probs, lens.target_probs"), r::toString);
        try (SafetensorsFile c = SafetensorsFile.open(cache)) {
            Map<String, String> meta = c.metadata();
            assertEquals("4-20", meta.get("ablate"));
            assertEquals(vector.toString(), meta.get("ablate_with"));
            assertEquals("blocks.2.hook_mlp_out=" + vector + "@590-593", meta.get("patch"));
            assertEquals("5", meta.get("lens_k"));
            assertEquals("7,39", meta.get("lens_targets"));
            assertArrayEquals(new long[] {5, 1, SEQ, 5}, c.info("lens.top_ids").shape());
            assertArrayEquals(new long[] {5, 1, SEQ, 2}, c.info("lens.target_probs").shape());
            long[] ids = c.toLongArray("lens.top_ids");
            float[] probs = c.toFloatArray("lens.top_probs");
            float[] targets = c.toFloatArray("lens.target_probs");
            // The last lens row reads the final residual stream: its top token is the model's own next token.
            float[] logits = c.toFloatArray("logits");
            int lastRow = 4 * SEQ * 5;
            assertEquals(TopTokens.of(logits, LAST * VOCAB, VOCAB, 1).get(0).id(), ids[lastRow + LAST * 5]);
            // Where token 39 is among the top 5, its target probability is that slot's probability.
            int seen = 0;
            for (int cell = 0; cell < 5 * SEQ; cell++) {
                for (int slot = 0; slot < 5; slot++) {
                    if (ids[cell * 5 + slot] == 39) {
                        assertEquals(probs[cell * 5 + slot], targets[cell * 2 + 1], 1e-6f);
                        seen++;
                    }
                }
            }
            assertTrue(seen > 0, "token 39 is the clean next token, so it is in some top 5");
        }
    }

    /**
     * The paper's vectors are PyTorch files: the pickle is read as data, never run, and the storage it names is
     * read; the result is the same as from safetensors. The pickle is the one torch 1.13 wrote for a 64-value
     * float32 vector (testdata/torch-vectors/vector64-f32.pt); a file whose data.pkl is not a pickle is refused
     * (core's TorchVectorTest).
     */
    @Test
    void pytorchVectorFile() throws IOException {
        Path pt = tmp.resolve("mean.pt");
        Path torchFile;
        try (GoldenFixture golden = GoldenFixture.load("llava-tiny")) {
            torchFile = golden.checkpoint().resolve("../../../torch-vectors/vector64-f32.pt").normalize();
        }
        byte[] pickle;
        try (java.util.zip.ZipFile torch = new java.util.zip.ZipFile(torchFile.toFile())) {
            pickle = torch.getInputStream(torch.getEntry("vector64-f32/data.pkl")).readAllBytes();
        }
        try (OutputStream os = Files.newOutputStream(pt); ZipOutputStream zip = new ZipOutputStream(os)) {
            entry(zip, "mean/data.pkl", pickle);
            entry(zip, "mean/byteorder", "little".getBytes(StandardCharsets.US_ASCII));
            ByteBuffer storage = ByteBuffer.allocate(4 * D).order(ByteOrder.LITTLE_ENDIAN);
            storage.asFloatBuffer().put(values);
            entry(zip, "mean/data/0", storage.array());
        }
        assertArrayEquals(logits("--ablate", REGION, "--ablate-with", vector.toString()),
                logits("--ablate", REGION, "--ablate-with", pt.toString()));
    }

    @Test
    void paperMeanVectorHasTheWidthOfItsModel() {
        Path pt = Path.of("../../shared/data/mean-vectors/llava-phi-3-mini.pt");
        assumeTrue(Files.exists(pt), "../shared is absent: the paper's mean vectors are not available");
        Cli.usageError(run(null, "--ablate", "5", "--ablate-with", pt.toString()), "--ablate-with", "3072 values",
                "expected 64");
    }

    /**
     * Blocking a query from every key but itself, in every layer, leaves finite logits: -inf in fp32, the lowest
     * finite half in fp16, and both give the same result within fp16 rounding.
     */
    @Test
    void knockoutDownToOneKeyStaysFinite() {
        String[] knockout = {"--knockout", "0-" + (LAST - 1) + ":" + LAST + "@all"};
        float[] fp32 = logits(knockout);
        Path fp16 = tmp.resolve("fp16");
        try (GoldenFixture golden = GoldenFixture.load("llava-tiny")) {
            Cli.ok("export", golden.checkpoint().toString(), "-o", fp16.toString(), "--dtype", "fp16");
        }
        Path cache = tmp.resolve("fp16.safetensors");
        List<String> args = new ArrayList<>(List.of("run", fp16.toString(), "--inputs", inputs.toString(), "--cache",
                cache.toString(), "--device", "cpu"));
        args.addAll(List.of(knockout));
        Cli.ok(args.toArray(String[]::new));
        float[] half;
        try (SafetensorsFile c = SafetensorsFile.open(cache)) {
            half = c.toFloatArray("logits");
        }
        for (float[] logits : List.of(fp32, half)) {
            for (float v : logits) {
                assertTrue(Float.isFinite(v));
            }
        }
        assertTrue(RunCommandTest.relativeL2(fp32, half) < 1e-2);
        assertTrue(Compare.maxAbsDiff(logits(), fp32) > 1e-2, "the knockout changes the logits");
    }

    static Stream<Arguments> badValues() {
        String v = vector.toString();
        return Stream.of(
                bad(List.of("--patch", "blocks.9.hook_resid_pre=" + v + "@3"), "--patch", "unknown hook 'blocks.9.hook_resid_pre'"),
                bad(List.of("--knockout", "4-10:593@4"), "--knockout 4-10:593@4", "layer 4 is out of range", "0-3"),
                bad(List.of("--knockout", "4-10:593@1-x"), "--knockout 4-10:593@1-x", "bad layer list '1-x'"),
                bad(List.of("--ablate", "590-600", "--ablate-with", v), "--ablate 590-600", "position 594 is beyond the "
                        + "sequence of 594 tokens"),
                bad(List.of("--knockout", "4-10:600@0"), "knockout TO position 600 is beyond the sequence of 594"),
                bad(List.of("--patch", "blocks.1.hook_resid_post=" + narrow + "@3"), "--patch", "32 values", "expected 64"),
                bad(List.of("--ablate", "3", "--ablate-with", narrow.toString()), "--ablate-with", "32 values"),
                bad(List.of("--ablate", "3", "--ablate-with", twoTensors.toString()), "--ablate-with", "holds 2 tensors"),
                bad(List.of("--ablate", "3", "--ablate-with", "absent.safetensors"), "--ablate-with", "absent.safetensors"),
                bad(List.of("--patch", "blocks.0.attn.hook_pattern=" + v + "@3"), "cannot be patched by position"),
                bad(List.of("--ablate", "4-x", "--ablate-with", v), "--ablate", "bad position list '4-x'"),
                bad(List.of("--knockout", "4-10@1"), "--knockout", "is not FROM:TO@LAYERS"),
                bad(List.of("--knockout", "4-10:593"), "--knockout", "is not FROM:TO@LAYERS"),
                bad(List.of("--knockout", "4-10:5,x@0"), "--knockout", "bad TO position list '5,x'"),
                bad(List.of("--patch", "blocks.0.hook_resid_pre@3"), "--patch", "is not HOOK=VECTOR@POSITIONS"),
                bad(List.of("--knockout", "0-5:5@0"), "knockout leaves query position 5 with no key to attend to"),
                bad(List.of("--ablate", "3"), "--ablate needs --ablate-with"),
                bad(List.of("--ablate-with", v), "without --ablate"),
                bad(List.of("--lens", "5", "--lens-targets", "1024"), "--lens-targets", "token 1024 is outside the "
                        + "vocabulary (0-1023)"),
                bad(List.of("--lens", "2000"), "--lens 2000 exceeds the vocabulary of 1024 tokens"));
    }

    @ParameterizedTest
    @MethodSource("badValues")
    void badValueIsAUsageErrorNamingIt(List<String> options, List<String> named) {
        Path cache = tmp.resolve("c.safetensors");
        Cli.usageError(run(cache, options.toArray(String[]::new)), named.toArray(String[]::new));
        assertFalse(Files.exists(cache), "nothing is written");
    }

    @Test
    void lensNeedsACache() {
        Cli.usageError(run(null, "--lens", "5"), "--lens needs --cache");
    }

    private static Arguments bad(List<String> options, String... named) {
        return Arguments.of(options, List.of(named));
    }

    /** {@code run} on the golden inputs on the CPU, caching to {@code cache} when it is not null. */
    private static Cli.Result run(Path cache, String... options) {
        List<String> args = new ArrayList<>(List.of("run", model.toString(), "--inputs", inputs.toString(),
                "--device", "cpu"));
        if (cache != null) {
            args.addAll(List.of("--cache", cache.toString()));
        }
        args.addAll(List.of(options));
        return Cli.run(args.toArray(String[]::new));
    }

    /** All logits of a run with {@code options}. */
    private float[] logits(String... options) {
        Path cache = tmp.resolve("logits-" + System.nanoTime() + ".safetensors");
        Cli.Result r = run(cache, options);
        assertEquals(0, r.code(), r::toString);
        try (SafetensorsFile c = SafetensorsFile.open(cache)) {
            return c.toFloatArray("logits");
        }
    }

    private static void entry(ZipOutputStream zip, String name, byte[] bytes) throws IOException {
        zip.putNextEntry(new ZipEntry(name));
        zip.write(bytes);
        zip.closeEntry();
    }
}
