package org.vlmscope.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.vlmscope.runtime.summary.TopTokens;
import org.vlmscope.core.DType;
import org.vlmscope.core.ModelManifest;
import org.vlmscope.core.SafetensorsFile;
import org.vlmscope.core.SafetensorsWriter;
import org.vlmscope.core.SafetensorsWriter.NamedTensor;
import org.vlmscope.golden.Compare;
import org.vlmscope.golden.GoldenFixture;

/** {@code vlmscope run} on the exported llava-tiny golden checkpoint, checked against Hugging Face's tensors. */
class RunCommandTest {
    private static final int LAYERS = 4;
    private static final int SEQ = 594;
    private static final int VOCAB = 1024;
    private static final int D = 64;
    private static final long IMAGE_TOKEN = 1000;

    @TempDir
    static Path shared;
    static Path model;
    static GoldenFixture golden;

    @TempDir
    Path tmp;

    @BeforeAll
    static void export() {
        golden = GoldenFixture.load("llava-tiny");
        model = shared.resolve("model");
        Cli.Result r = Cli.ok("export", golden.checkpoint().toString(), "-o", model.toString());
        assertTrue(r.out().contains("vision.onnx, embed.onnx, decoder.onnx"), r::toString);
        assertTrue(r.out().matches("(?s).*tensors: \\d+, weights .*MB/s.*"), r::toString);
    }

    @AfterAll
    static void close() {
        golden.close();
    }

    @Test
    void cacheHoldsHuggingFaceLogitsAndResidualStream() {
        Path in = writeInputs(tmp.resolve("in.safetensors"),
                NamedTensor.ofLongs("input_ids", new long[] {SEQ}, golden.inputIds()), pixels(1));
        Path cache = tmp.resolve("cache.safetensors");
        Cli.Result r = Cli.ok("run", model.toString(), "--inputs", in.toString(), "--cache", cache.toString(),
                "--hooks", "blocks.*.hook_resid_post", "--device", "cpu");

        float[] expectedLogits = golden.floats("logits");
        // The top-5 line, against the reference's own ranking of the final position.
        List<TopTokens.Token> top = TopTokens.of(expectedLogits, (SEQ - 1) * VOCAB, VOCAB, 5);
        assertTrue(r.out().contains("row 0, position " + (SEQ - 1) + ": top-5 next tokens (id (logit)): "
                + top.get(0).id() + " ("), r::toString);

        try (SafetensorsFile c = SafetensorsFile.open(cache)) {
            List<String> names = new ArrayList<>();
            c.tensors().forEach(t -> names.add(t.name()));
            assertEquals(List.of("logits", "blocks.0.hook_resid_post", "blocks.1.hook_resid_post",
                    "blocks.2.hook_resid_post", "blocks.3.hook_resid_post"), names);
            assertArrayEquals(new long[] {1, SEQ, VOCAB}, c.info("logits").shape());
            Compare.allClose("logits", expectedLogits, c.toFloatArray("logits"),
                    golden.atol("logits"), golden.rtol("logits"));
            float[] layers = golden.floats("lm.layer_outputs");
            for (int i = 0; i < LAYERS; i++) {
                String hook = "blocks." + i + ".hook_resid_post";
                assertEquals(DType.F32, c.info(hook).dtype());
                assertArrayEquals(new long[] {1, SEQ, D}, c.info(hook).shape());
                Compare.allClose(hook, Compare.rows(layers, i * SEQ, (i + 1) * SEQ, D), c.toFloatArray(hook),
                        golden.atol("hidden_states"), golden.rtol("hidden_states"));
            }
            Map<String, String> meta = c.metadata();
            assertEquals(ModelManifest.read(model).source().fingerprint(), meta.get("model_fingerprint"));
            assertEquals(model.toAbsolutePath().normalize().toString(), meta.get("model_dir"));
            assertEquals(in.toAbsolutePath().normalize().toString(), meta.get("inputs"));
            assertEquals("blocks.0.hook_resid_post,blocks.1.hook_resid_post,blocks.2.hook_resid_post,"
                    + "blocks.3.hook_resid_post", meta.get("hooks"));
            assertEquals("cpu", meta.get("device"));
            assertEquals("CPUExecutionProvider", meta.get("provider"));
        }
    }

    /** One placeholder per row, I32 ids, a batch of two: the runtime expands it and each row matches HF. */
    @Test
    void collapsedImagePlaceholderGivesTheSameLogits() {
        long[] full = golden.inputIds();
        long[] collapsed = collapse(full);
        assertEquals(SEQ - 575, collapsed.length);
        ByteBuffer ids = ByteBuffer.allocate(2 * collapsed.length * 4).order(ByteOrder.LITTLE_ENDIAN);
        for (int row = 0; row < 2; row++) {
            for (long id : collapsed) {
                ids.putInt((int) id);
            }
        }
        ids.flip();
        Path in = writeInputs(tmp.resolve("in.safetensors"),
                new NamedTensor("input_ids", DType.I32, new long[] {2, collapsed.length}, ids), pixels(2));
        Path cache = tmp.resolve("cache.safetensors");
        Cli.Result r = Cli.ok("run", model.toString(), "--inputs", in.toString(), "--cache", cache.toString());
        assertTrue(r.out().contains("row 0, position " + (SEQ - 1)), r::toString);
        assertTrue(r.out().contains("row 1, position " + (SEQ - 1)), r::toString);
        try (SafetensorsFile c = SafetensorsFile.open(cache)) {
            assertEquals(List.of("logits"), c.tensors().stream().map(t -> t.name()).toList());
            assertArrayEquals(new long[] {2, SEQ, VOCAB}, c.info("logits").shape());
            float[] logits = c.toFloatArray("logits");
            for (int row = 0; row < 2; row++) {
                Compare.allClose("logits row " + row, golden.floats("logits"),
                        Compare.rows(logits, row * SEQ, (row + 1) * SEQ, VOCAB),
                        golden.atol("logits"), golden.rtol("logits"));
            }
        }
    }

    /** Vision-side hooks come from vision.onnx; asking for logits, always cached, is harmless. */
    @Test
    void projectorHookAndLogitsGlob() {
        Path in = writeInputs(tmp.resolve("in.safetensors"),
                NamedTensor.ofLongs("input_ids", new long[] {SEQ}, golden.inputIds()), pixels(1));
        Path cache = tmp.resolve("cache.safetensors");
        Cli.ok("run", model.toString(), "--inputs", in.toString(), "--cache", cache.toString(),
                "--hooks", "logits", "--hooks", "projector.*");
        try (SafetensorsFile c = SafetensorsFile.open(cache)) {
            assertEquals(List.of("logits", "projector.hook_out"), c.tensors().stream().map(t -> t.name()).toList());
            assertArrayEquals(new long[] {1, 576, D}, c.info("projector.hook_out").shape());
            Compare.allClose("projector.hook_out", golden.floats("projector.output"),
                    c.toFloatArray("projector.hook_out"), golden.atol("vision_and_projector"),
                    golden.rtol("vision_and_projector"));
        }
    }

    /** A text-only prompt never runs the vision graph: its hooks are reported missing, not silently dropped. */
    @Test
    void visionHooksOfATextOnlyPromptAreReported() {
        Path in = writeInputs(tmp.resolve("in.safetensors"),
                NamedTensor.ofLongs("input_ids", new long[] {1, 4}, new long[] {1, 1002, 1011, 391}));
        Path cache = tmp.resolve("cache.safetensors");
        Cli.Result r = Cli.ok("run", model.toString(), "--inputs", in.toString(), "--cache", cache.toString(),
                "--hooks", "vision.hook_embed", "--hooks", "blocks.0.hook_resid_pre");
        assertTrue(r.err().contains("warning: vision.hook_embed not cached"), r::toString);
        try (SafetensorsFile c = SafetensorsFile.open(cache)) {
            assertEquals(List.of("logits", "blocks.0.hook_resid_pre"), c.tensors().stream().map(t -> t.name()).toList());
            assertArrayEquals(new long[] {1, 4, D}, c.info("blocks.0.hook_resid_pre").shape());
        }
    }

    @Test
    void cacheInAMissingDirectoryFailsBeforeRunning() {
        Path in = writeInputs(tmp.resolve("in.safetensors"),
                NamedTensor.ofLongs("input_ids", new long[] {3}, new long[] {1, 2, 3}));
        Path cache = tmp.resolve("no-such-dir/cache.safetensors");
        Cli.failsWith(Cli.run("run", model.toString(), "--inputs", in.toString(), "--cache", cache.toString()),
                "--cache", tmp.resolve("no-such-dir").toString());
    }

    /** An fp16 export caches its hooks as F16, as produced, and still tracks Hugging Face's fp32 reference. */
    @Test
    void fp16ExportCachesF16Hooks() {
        Path fp16 = tmp.resolve("model-fp16");
        Cli.ok("export", golden.checkpoint().toString(), "-o", fp16.toString(), "--dtype", "fp16");
        Path in = writeInputs(tmp.resolve("in.safetensors"),
                NamedTensor.ofLongs("input_ids", new long[] {SEQ}, golden.inputIds()), pixels(1));
        Path cache = tmp.resolve("cache.safetensors");
        Cli.ok("run", fp16.toString(), "--inputs", in.toString(), "--cache", cache.toString(),
                "--hooks", "blocks.3.hook_resid_post", "--device", "cpu");
        try (SafetensorsFile c = SafetensorsFile.open(cache)) {
            assertEquals(DType.F16, c.info("blocks.3.hook_resid_post").dtype());
            assertEquals("fp16", c.metadata().get("model_dtype"));
            // fp16 rounds every activation to 11 significant bits (relative step 2^-11 ~ 5e-4); through four
            // layers that grows to a few 1e-3 of the signal, so 1% relative L2 error still separates right from wrong.
            float[] layers = golden.floats("lm.layer_outputs");
            assertTrue(relativeL2(Compare.rows(layers, 3 * SEQ, 4 * SEQ, D),
                    c.toFloatArray("blocks.3.hook_resid_post")) < 1e-2);
            assertTrue(relativeL2(golden.floats("logits"), c.toFloatArray("logits")) < 1e-2);
        }
    }

    /** A rerun that fails leaves the previous cache file whole: it is replaced only by a complete one. */
    @Test
    void failedRunLeavesThePreviousCacheIntact() throws Exception {
        Path in = writeInputs(tmp.resolve("in.safetensors"),
                NamedTensor.ofLongs("input_ids", new long[] {SEQ}, golden.inputIds()), pixels(1));
        Path cache = tmp.resolve("cache.safetensors");
        Cli.ok("run", model.toString(), "--inputs", in.toString(), "--cache", cache.toString());
        byte[] before = Files.readAllBytes(cache);
        Cli.usageError(Cli.run("run", model.toString(), "--inputs", in.toString(), "--cache", cache.toString(),
                "--hooks", "blocks.*.hook_nonexistent"), "blocks.*.hook_nonexistent");
        assertArrayEquals(before, Files.readAllBytes(cache));
    }

    @Test
    void inputsWithoutInputIdsNameTheMissingTensor() {
        Path in = writeInputs(tmp.resolve("no-ids.safetensors"), pixels(1));
        Cli.failsWith(Cli.run("run", model.toString(), "--inputs", in.toString()),
                "no-ids.safetensors", "'input_ids'", "pixel_values");
    }

    @Test
    void inputIdsOfTheWrongDtypeOrRankAreRefused() {
        Path floats = writeInputs(tmp.resolve("f.safetensors"),
                NamedTensor.ofFloats("input_ids", new long[] {3}, new float[] {1, 2, 3}));
        Cli.failsWith(Cli.run("run", model.toString(), "--inputs", floats.toString()), "'input_ids'", "F32",
                "I64 or I32");
        Path rank3 = writeInputs(tmp.resolve("r.safetensors"),
                NamedTensor.ofLongs("input_ids", new long[] {1, 1, 3}, new long[] {1, 2, 3}));
        Cli.failsWith(Cli.run("run", model.toString(), "--inputs", rank3.toString()), "'input_ids'", "[1, 1, 3]",
                "[S] or [B,S]");
    }

    @Test
    void pixelValuesNotMatchingTheBatchAreRefused() {
        Path in = writeInputs(tmp.resolve("in.safetensors"),
                NamedTensor.ofLongs("input_ids", new long[] {SEQ}, golden.inputIds()), pixels(2));
        Cli.failsWith(Cli.run("run", model.toString(), "--inputs", in.toString()), "'pixel_values'",
                "[2, 3, 336, 336]", "[1,3,H,W]");
    }

    /** A glob matching no hook is a usage error (exit 2), reported before anything runs or is written. */
    @Test
    void unknownHookIsNamed() {
        Path in = writeInputs(tmp.resolve("in.safetensors"),
                NamedTensor.ofLongs("input_ids", new long[] {SEQ}, golden.inputIds()), pixels(1));
        Cli.usageError(Cli.run("run", model.toString(), "--inputs", in.toString(), "--cache",
                tmp.resolve("c.safetensors").toString(), "--hooks", "blocks.*.hook_bogus"), "blocks.*.hook_bogus");
        assertFalse(Files.exists(tmp.resolve("c.safetensors")));
    }

    @Test
    void hooksWithoutCacheIsAUsageError() {
        Cli.usageError(Cli.run("run", model.toString(), "--inputs", "x.safetensors", "--hooks", "blocks.*"),
                "--hooks needs --cache");
    }

    @Test
    void missingModelDirectory() {
        Path in = writeInputs(tmp.resolve("in.safetensors"),
                NamedTensor.ofLongs("input_ids", new long[] {3}, new long[] {1, 2, 3}));
        Path absent = tmp.resolve("no-such-model");
        Cli.failsWith(Cli.run("run", absent.toString(), "--inputs", in.toString()), absent.toString());
        Cli.usageError(Cli.run("run", "--inputs", in.toString()), "MODEL_DIR");
    }

    @Test
    void missingInputsFileIsNamed() {
        Path absent = tmp.resolve("absent.safetensors");
        Cli.failsWith(Cli.run("run", model.toString(), "--inputs", absent.toString()), absent.toString());
    }

    /** ||actual - expected|| / ||expected||. */
    static double relativeL2(float[] expected, float[] actual) {
        assertEquals(expected.length, actual.length);
        double diff = 0;
        double norm = 0;
        for (int i = 0; i < expected.length; i++) {
            diff += ((double) actual[i] - expected[i]) * ((double) actual[i] - expected[i]);
            norm += (double) expected[i] * expected[i];
        }
        return Math.sqrt(diff / norm);
    }

    static NamedTensor pixels(int batch) {
        float[] one = golden.floats("pixel_values");
        float[] all = new float[one.length * batch];
        for (int b = 0; b < batch; b++) {
            System.arraycopy(one, 0, all, b * one.length, one.length);
        }
        return NamedTensor.ofFloats("pixel_values", new long[] {batch, 3, 336, 336}, all);
    }

    static Path writeInputs(Path file, NamedTensor... tensors) {
        SafetensorsWriter.writeAll(file, Map.of(), List.of(tensors));
        return file;
    }

    /** The ids with their run of image tokens replaced by one placeholder. */
    static long[] collapse(long[] ids) {
        List<Long> out = new ArrayList<>();
        for (int i = 0; i < ids.length; i++) {
            if (ids[i] != IMAGE_TOKEN || i == 0 || ids[i - 1] != IMAGE_TOKEN) {
                out.add(ids[i]);
            }
        }
        return out.stream().mapToLong(Long::longValue).toArray();
    }
}
