package org.vlmscope.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.vlmscope.core.SafetensorsFile;
import org.vlmscope.core.SafetensorsWriter;
import org.vlmscope.core.SafetensorsWriter.NamedTensor;
import org.vlmscope.graph.synthetic.SyntheticDecoder;

/**
 * The commands on graphs vlmscope did not write: the PyTorch exports of testdata/foreign (made by make_foreign.py
 * with reference tensors from the same PyTorch modules) and vlmscope's own export of the same weights.
 */
class ForeignGraphCommandsTest {
    /** fp32 noise between ONNX Runtime and PyTorch here is below 3e-6 (ForeignGraphRunTest); this leaves room. */
    private static final double TOL = 3e-5;

    @TempDir
    static Path tmp;
    static Path foreign;
    static Path reference;
    static Path inputs;

    @BeforeAll
    static void inputs() {
        Path dir = Path.of("").toAbsolutePath();
        while (!Files.isDirectory(dir.resolve("testdata/foreign"))) {
            dir = dir.getParent();
        }
        foreign = dir.resolve("testdata/foreign");
        reference = foreign.resolve("llama/reference.safetensors");
        inputs = tmp.resolve("in.safetensors");
        try (SafetensorsFile f = SafetensorsFile.open(reference)) {
            SafetensorsWriter.writeAll(inputs, Map.of(), List.of(
                    NamedTensor.ofLongs("input_ids", f.info("input_ids").shape(), f.toLongArray("input_ids")),
                    NamedTensor.ofLongs("attention_mask", f.info("attention_mask").shape(),
                            f.toLongArray("attention_mask"))));
        }
    }

    @Test
    void diffOfTheForeignAndTheOwnExportUnderAKnockoutIsFp32NoiseAtEveryLayer() {
        Path foreignCache = tmp.resolve("foreign.safetensors");
        Cli.Result r = Cli.ok("run", foreign.resolve("llama/model.onnx").toString(), "--inputs", inputs.toString(),
                "--hooks", "blocks.*.hook_resid_post", "--knockout", "2-5:11@1,2", "--cache", foreignCache.toString());
        assertTrue(r.out().contains("hooks located by structure: 4 layers, d_model 32"), r.out());

        Path own = ownExport();
        Path ids = idsOnly();
        Path ownCache = tmp.resolve("own.safetensors");
        Cli.ok("run", own.toString(), "--inputs", ids.toString(), "--hooks", "blocks.*.hook_resid_post",
                "--knockout", "2-5:11@1,2", "--cache", ownCache.toString());

        Cli.Result diff = Cli.ok("diff", ownCache.toString(), foreignCache.toString(), "--format", "csv",
                "--fail-above", Double.toString(TOL));
        for (int layer = 0; layer < 4; layer++) {
            assertTrue(diff.out().contains("blocks.*.hook_resid_post," + layer + ","), diff.out());
        }
        assertTrue(diff.out().contains("logits,"), diff.out());
        // ... and the knocked-out logits are PyTorch's.
        try (SafetensorsFile got = SafetensorsFile.open(foreignCache); SafetensorsFile ref = SafetensorsFile.open(reference)) {
            assertClose(ref.toFloatArray("knockout.logits"), got.toFloatArray("logits"), "knockout logits");
        }
    }

    @Test
    void anAblationOnTheForeignGraphEqualsTheSameAblationOnTheOwnExport() {
        Path vector = tmp.resolve("vector.safetensors");
        float[] v = new float[32];
        for (int j = 0; j < v.length; j++) {
            v[j] = (float) Math.sin(j + 1.0);
        }
        SafetensorsWriter.writeAll(vector, Map.of(), List.of(NamedTensor.ofFloats("mean", new long[] {32}, v)));
        Path foreignCache = tmp.resolve("ablated-foreign.safetensors");
        Cli.ok("run", foreign.resolve("llama/model.onnx").toString(), "--inputs", inputs.toString(), "--ablate", "3-5",
                "--ablate-with", vector.toString(), "--hooks", "blocks.*.hook_resid_mid", "--cache", foreignCache.toString());
        Path own = ownExport();
        Path ownCache = tmp.resolve("ablated-own.safetensors");
        Cli.ok("run", own.toString(), "--inputs", idsOnly().toString(), "--ablate", "3-5", "--ablate-with",
                vector.toString(), "--hooks", "blocks.*.hook_resid_mid", "--cache", ownCache.toString());
        Cli.ok("diff", ownCache.toString(), foreignCache.toString(), "--fail-above", Double.toString(TOL));
        try (SafetensorsFile ablated = SafetensorsFile.open(foreignCache); SafetensorsFile ref = SafetensorsFile.open(reference)) {
            float[] clean = ref.toFloatArray("logits");
            float[] got = ablated.toFloatArray("logits");
            double moved = 0;
            for (int i = 0; i < clean.length; i++) {
                moved = Math.max(moved, Math.abs(clean[i] - got[i]));
            }
            assertTrue(moved > 100 * TOL, "the ablation changes the logits");
        }
    }

    @Test
    void theOwnDecoderRunsAsASingleFileWithItsOwnHooks() {
        // decoder.onnx of vlmscope's export, fed what the embed graph would give it and an empty KV cache.
        Path own = ownExport();
        Path feeds = tmp.resolve("decoder-inputs.safetensors");
        try (SafetensorsFile ref = SafetensorsFile.open(reference)) {
            long[] shape = ref.info("inputs_embeds").shape();
            int s = (int) shape[1];
            long[] positions = new long[s];
            long[] ones = new long[s];
            for (int i = 0; i < s; i++) {
                positions[i] = i;
                ones[i] = 1;
            }
            List<NamedTensor> tensors = new java.util.ArrayList<>(List.of(
                    NamedTensor.ofFloats("inputs_embeds", shape, ref.toFloatArray("inputs_embeds")),
                    NamedTensor.ofLongs("attention_mask", new long[] {1, s}, ones),
                    NamedTensor.ofLongs("position_ids", new long[] {1, s}, positions)));
            for (int i = 0; i < 4; i++) {
                for (String kv : List.of("key", "value")) {
                    tensors.add(NamedTensor.ofFloats("past_key_values." + i + "." + kv, new long[] {1, 2, 0, 8},
                            new float[0]));
                }
            }
            SafetensorsWriter.writeAll(feeds, Map.of(), tensors);
        }
        Path cache = tmp.resolve("decoder-file.safetensors");
        Cli.Result r = Cli.ok("run", own.resolve("decoder.onnx").toString(), "--inputs", feeds.toString(),
                "--hooks", "blocks.*.hook_resid_post", "--cache", cache.toString());
        assertTrue(r.out().contains("hooks of its own"), r.out());
        try (SafetensorsFile got = SafetensorsFile.open(cache); SafetensorsFile ref = SafetensorsFile.open(reference)) {
            float[] states = ref.toFloatArray("hidden_states");
            int row = states.length / 5;
            for (int i = 0; i < 4; i++) {
                assertClose(Arrays.copyOfRange(states, (i + 1) * row, (i + 2) * row),
                        got.toFloatArray("blocks." + i + ".hook_resid_post"), "own decoder.onnx, layer " + i);
            }
        }
    }

    @Test
    void aGraphWithFusedAttentionSaysWhichHooksItLacks() {
        Path file = tmp.resolve("builder/model.onnx");
        SyntheticDecoder.build(new SyntheticDecoder.Shape(2, 16, 2, 24, 40), SyntheticDecoder.Style.ORT_BUILDER,
                file.getParent()).save(file);
        Cli.Result r = Cli.ok("inspect", file.toString());
        assertTrue(r.out().contains("located by structure: 2 layers, d_model 16"), r.out());
        assertTrue(r.out().contains("blocks.*.attn.hook_attn_scores: attention is one fused GroupQueryAttention node"),
                r.out());
        Cli.usageError(Cli.run("surgery", file.toString(), "-o", tmp.resolve("builder/out.onnx").toString(),
                "--attn-bias", "0"), "found 0 attention-score hooks for a 2-layer model", "GroupQueryAttention");
        Cli.ok("surgery", file.toString(), "-o", tmp.resolve("builder/lens.onnx").toString(), "--lens", "3",
                "--expose", "blocks.*.hook_resid_post");
    }

    /** vlmscope's export of the same weights (from the LLaVA checkpoint beside the PyTorch graph), made once. */
    private static synchronized Path ownExport() {
        Path own = tmp.resolve("own");
        if (!Files.isDirectory(own)) {
            Cli.ok("export", foreign.resolve("llama/llava").toString(), "-o", own.toString());
        }
        return own;
    }

    private static Path idsOnly() {
        Path ids = tmp.resolve("ids-only.safetensors");
        try (SafetensorsFile f = SafetensorsFile.open(inputs)) {
            SafetensorsWriter.writeAll(ids, Map.of(), List.of(NamedTensor.ofLongs("input_ids",
                    f.info("input_ids").shape(), f.toLongArray("input_ids"))));
        }
        return ids;
    }

    @Test
    void lensThroughSurgeryEqualsTheUnembeddedReferenceStates() {
        Path out = tmp.resolve("lens/model_lens.onnx");
        Cli.Result s = Cli.ok("surgery", foreign.resolve("llama/model.onnx").toString(), "-o", out.toString(),
                "--lens", "4");
        assertTrue(s.out().contains("hooks located by structure: 4 layers"), s.out());
        Path cache = tmp.resolve("lens.safetensors");
        Cli.Result r = Cli.ok("run", out.toString(), "--inputs", inputs.toString(), "--cache", cache.toString());
        assertTrue(r.out().contains("hooks of its own"), r.out());
        try (SafetensorsFile got = SafetensorsFile.open(cache); SafetensorsFile ref = SafetensorsFile.open(reference)) {
            float[] lens = ref.toFloatArray("lens_logits");
            float[] top = got.toFloatArray("lens.top_logits");
            int k = 4;
            int vocab = 256;
            assertEquals(lens.length / vocab * k, top.length);
            for (int row = 0; row < lens.length / vocab; row++) {
                float[] sorted = Arrays.copyOfRange(lens, row * vocab, (row + 1) * vocab);
                Arrays.sort(sorted);
                for (int j = 0; j < k; j++) {
                    assertEquals(sorted[vocab - 1 - j], top[row * k + j], TOL, "lens row " + row + " rank " + j);
                }
            }
        }
    }

    @Test
    void inspectShowsTheLocatedHooksAndTheirTensors() {
        Cli.Result r = Cli.ok("inspect", foreign.resolve("phi3/model.onnx").toString());
        assertTrue(r.out().contains("located by structure: 3 layers, d_model 32"), r.out());
        assertTrue(r.out().contains("<- /model/layers.0/Add_1_output_0"), r.out());
        assertTrue(r.out().contains("blocks.*.attn.hook_q: not located"), r.out());
    }

    @Test
    void aGraphTheLocatorCannotReadRunsWithPlainOutputsAndRefusesHooks() {
        Path cnn = foreign.resolve("cnn.onnx");
        Cli.Result inspect = Cli.ok("inspect", cnn.toString());
        assertTrue(inspect.out().contains("no hooks located: cannot locate decoder hooks"), inspect.out());
        assertTrue(inspect.out().contains("found 1 residual addition"), inspect.out());

        Path pixels = tmp.resolve("pixels.safetensors");
        float[] values = new float[3 * 16 * 16];
        Arrays.fill(values, 0.5f);
        SafetensorsWriter.writeAll(pixels, Map.of(), List.of(NamedTensor.ofFloats("pixel_values",
                new long[] {1, 3, 16, 16}, values)));
        Path cache = tmp.resolve("cnn.safetensors");
        Cli.Result r = Cli.ok("run", cnn.toString(), "--inputs", pixels.toString(), "--cache", cache.toString());
        assertTrue(r.out().contains("no hooks; plain outputs only"), r.out());
        try (SafetensorsFile f = SafetensorsFile.open(cache)) {
            assertEquals(List.of(1L, 10L), Arrays.stream(f.info("logits").shape()).boxed().toList());
        }
        Cli.usageError(Cli.run("run", cnn.toString(), "--inputs", pixels.toString(), "--hooks", "blocks.*.hook_resid_post",
                "--cache", cache.toString()), "found 1 residual addition", "0 attention nodes");
    }

    @Test
    void aMissingInputIsNamedWithItsTypeAndShape() {
        Path ids = tmp.resolve("only-ids.safetensors");
        SafetensorsWriter.writeAll(ids, Map.of(), List.of(NamedTensor.ofLongs("input_ids", new long[] {1, 3},
                new long[] {1, 2, 3})));
        Cli.usageError(Cli.run("run", foreign.resolve("llama/model.onnx").toString(), "--inputs", ids.toString()),
                "needs input 'attention_mask' (int64[batch,sequence])");
    }

    private static void assertClose(float[] expected, float[] actual, String what) {
        assertEquals(expected.length, actual.length, what);
        double worst = 0;
        for (int i = 0; i < expected.length; i++) {
            worst = Math.max(worst, Math.abs(expected[i] - actual[i]));
        }
        assertTrue(worst <= TOL, what + ": max abs difference " + worst);
    }
}
