package org.vlmscope.golden;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.vlmscope.cli.Cli;
import org.vlmscope.core.ModelManifest;
import org.vlmscope.core.SafetensorsFile;
import org.vlmscope.core.SafetensorsWriter;
import org.vlmscope.core.SafetensorsWriter.NamedTensor;
import org.vlmscope.exporter.ExportOptions;
import org.vlmscope.exporter.Exporter;
import org.vlmscope.runtime.image.ImageGrid;
import org.vlmscope.runtime.image.VisionInput;
import org.vlmscope.runtime.input.ModelInput;
import org.vlmscope.runtime.run.Forward;
import org.vlmscope.runtime.run.Greedy;
import org.vlmscope.runtime.session.Device;
import org.vlmscope.runtime.session.ModelSession;

/**
 * Qwen2-VL end to end on qwen2vl-dev: the export run from image.png and the bare input_ids (the runtime derives
 * the pixel rows, the grid, the vision graph's patch positions and the 3-D M-RoPE positions itself) reproduces
 * Hugging Face's patch embedding, every vision block, the merger output, the LM input embeddings, every layer's
 * residual stream and the logits within the fixture's fp32 tolerances; greedy decoding with the KV cache gives
 * generate.ids and its step logits, alone and as the shorter row of a left-padded batch; {@code vlmscope run}
 * does the same from the command line.
 */
class Qwen2VlRunGoldenTest {
    @TempDir
    static Path shared;
    static Path model;

    @TempDir
    Path tmp;

    @BeforeAll
    static void export() {
        try (GoldenFixture f = GoldenFixture.load("qwen2vl-dev")) {
            model = Exporter.export(f.checkpoint(), shared.resolve("model"), ExportOptions.parse("fp32")).modelDir();
        }
    }

    private static VisionInput image(GoldenFixture f) {
        return ModelInput.vision(model, ModelManifest.read(model), f.dir.resolve("image.png"));
    }

    @Test
    void imageAndIdsReproduceEveryTensor() {
        try (GoldenFixture f = GoldenFixture.load("qwen2vl-dev");
             ModelSession s = ModelSession.open(model, Device.CPU, List.of("vision.hook_embed",
                     "vision.blocks.*.hook_resid_post", "projector.hook_out", "blocks.*.hook_resid_post",
                     "blocks.0.hook_resid_pre"))) {
            long[] ids = f.inputIds();
            int seq = ids.length;
            Map<String, NamedTensor> out = Forward.run(s, image(f), new long[][] {ids}, List.of(), null,
                    Forward.Logits.ALL);
            var dims = s.manifest().dims();
            double va = f.atol("vision_and_projector");
            double vr = f.rtol("vision_and_projector");
            Compare.allClose("vision.patch_embed", f.floats("vision.patch_embed"),
                    out.get("vision.hook_embed").toFloatArray(), va, vr);
            float[] blocks = f.floats("vision.block_outputs");
            int patches = 192;
            for (int i = 0; i < dims.visionLayers(); i++) {
                String hook = "vision.blocks." + i + ".hook_resid_post";
                Compare.allClose(hook, Compare.rows(blocks, i * patches, (i + 1) * patches, dims.visionDModel()),
                        out.get(hook).toFloatArray(), va, vr);
            }
            Compare.allClose("projector.output", f.floats("projector.output"),
                    out.get("projector.hook_out").toFloatArray(), va, vr);
            double ha = f.atol("hidden_states");
            double hr = f.rtol("hidden_states");
            Compare.allClose("lm.inputs_embeds", f.floats("lm.inputs_embeds"),
                    out.get("blocks.0.hook_resid_pre").toFloatArray(), ha, hr);
            float[] layers = f.floats("lm.layer_outputs");
            for (int i = 0; i < dims.layers(); i++) {
                String hook = "blocks." + i + ".hook_resid_post";
                Compare.allClose(hook, Compare.rows(layers, i * seq, (i + 1) * seq, dims.dModel()),
                        out.get(hook).toFloatArray(), ha, hr);
            }
            float[] logits = out.get("logits").toFloatArray();
            Compare.allClose("logits", f.floats("logits"), logits, f.atol("logits"), f.rtol("logits"));
            System.out.printf("qwen2vl-dev fp32: max |logits - HF| = %.3g (atol %.3g)%n",
                    Compare.maxAbsDiff(f.floats("logits"), logits), f.atol("logits"));
        }
    }

    /**
     * With the KV cache, the decode steps continue from HF's rope_deltas (-40 here: the 48 image tokens take 6x8
     * positions). In the batch the golden prompt is the shorter row, left-padded by 9 under a text-only row.
     */
    @Test
    void greedyWithCacheAloneAndLeftPadded() {
        try (GoldenFixture f = GoldenFixture.load("qwen2vl-dev");
             ModelSession s = ModelSession.open(model, Device.CPU, List.of())) {
            long[] ids = f.inputIds();
            long[] expectedIds = f.longs("generate.ids");
            float[] steps = f.floats("generate.step_logits");
            int vocab = s.manifest().dims().vocab();
            VisionInput vision = image(f);
            Greedy.Generation alone = Greedy.run(s, vision, new long[][] {ids}, expectedIds.length, Set.of(),
                    List.of(), null, null);
            long[] text = new long[ids.length + 9];
            Arrays.fill(text, 503);
            long[][] rows = {text, ids};
            Greedy.Generation batch = Greedy.run(s, vision, rows, expectedIds.length, Set.of(), List.of(), null,
                    null);
            for (Greedy.Generation g : List.of(alone, batch)) {
                long[] got = g == alone ? g.tokens()[0] : g.tokens()[1];
                assertArrayEquals(expectedIds, got, g == alone ? "alone" : "in the batch");
                for (int k = 0; k < expectedIds.length; k++) {
                    float[] step = g == alone ? g.stepLogits()[0][k] : g.stepLogits()[1][k];
                    Compare.allClose("step " + k, Compare.rows(steps, k, k + 1, vocab), step, f.atol("logits"),
                            f.rtol("logits"));
                }
            }
            Greedy.Generation textAlone = Greedy.run(s, (VisionInput) null, new long[][] {text}, expectedIds.length,
                    Set.of(), List.of(), null, null);
            assertArrayEquals(textAlone.tokens()[0], batch.tokens()[0], "the text-only row alone and in the batch");
        }
    }

    /**
     * Two images of different grids in one vision call: the golden image (12x16 patches) for row 0 and llava-phi3-dev's
     * 360x420 (w x h) image for row 1 (smart_resize to h 196, w 168: 14x12 patches, 7x6 = 42 visual tokens, its placeholder
     * expanded by the runtime). Row 0 still gives HF's logits, so attention stayed within each image and the features
     * went to their own rows; row 1, left-padded by 6, gives what it gives alone.
     */
    @Test
    void twoImagesOfDifferentGridsInOneBatch() {
        try (GoldenFixture f = GoldenFixture.load("qwen2vl-dev");
             GoldenFixture other = GoldenFixture.load("llava-phi3-dev");
             ModelSession s = ModelSession.open(model, Device.CPU, List.of())) {
            long[] ids = f.inputIds();
            long image = s.manifest().imageTokenId();
            int start = f.manifest.path("sequence").path("visual_start").asInt();
            int end = f.manifest.path("sequence").path("visual_end_exclusive").asInt();
            long[] placeholder = new long[ids.length - (end - start) + 1];
            System.arraycopy(ids, 0, placeholder, 0, start);
            placeholder[start] = image;
            System.arraycopy(ids, end, placeholder, start + 1, ids.length - end);
            VisionInput second = ModelInput.vision(model, s.manifest(), other.dir.resolve("image.png"));
            assertEquals(List.of(new ImageGrid(1, 14, 12)), second.grids());
            VisionInput both = VisionInput.concat(List.of(image(f), second));
            NamedTensor batch = Forward.run(s, both, new long[][] {ids, placeholder}, List.of(), null,
                    Forward.Logits.ALL).get("logits");
            int seq = ids.length;
            int vocab = s.manifest().dims().vocab();
            assertArrayEquals(new long[] {2, seq, vocab}, batch.shape());
            float[] all = batch.toFloatArray();
            Compare.allClose("row 0 logits", f.floats("logits"), Compare.rows(all, 0, seq, vocab), f.atol("logits"),
                    f.rtol("logits"));
            float[] alone = Forward.run(s, second, new long[][] {placeholder}, List.of(), null, Forward.Logits.ALL)
                    .get("logits").toFloatArray();
            assertEquals((seq - 6) * vocab, alone.length);
            Compare.allClose("row 1 alone and in the batch", alone, Compare.rows(all, seq + 6, 2 * seq, vocab),
                    f.atol("logits"), f.rtol("logits"));
        }
    }

    /** {@code vlmscope run MODEL --image image.png --inputs ids.safetensors --cache ...}: the logits and layers. */
    @Test
    void runCommandFromImageAndIds() {
        try (GoldenFixture f = GoldenFixture.load("qwen2vl-dev")) {
            long[] ids = f.inputIds();
            int seq = ids.length;
            Path in = tmp.resolve("ids.safetensors");
            SafetensorsWriter.writeAll(in, Map.of(), List.of(NamedTensor.ofLongs("input_ids", new long[] {1, seq}, ids)));
            Path image = f.dir.resolve("image.png");
            Path cache = tmp.resolve("cache.safetensors");
            Cli.Result r = Cli.ok("run", model.toString(), "--image", image.toString(), "--inputs", in.toString(),
                    "--cache", cache.toString(), "--hooks", "blocks.*.hook_resid_post", "--device", "cpu");
            assertTrue(r.out().contains("input: " + seq + " positions, visual tokens 7-54 from " + image), r::toString);
            try (SafetensorsFile c = SafetensorsFile.open(cache)) {
                Compare.allClose("cli logits", f.floats("logits"), c.toFloatArray("logits"), f.atol("logits"),
                        f.rtol("logits"));
                float[] layers = f.floats("lm.layer_outputs");
                int d = f.manifest.path("hidden_size").asInt();
                for (int i = 0; i < f.manifest.path("num_layers").asInt(); i++) {
                    String hook = "blocks." + i + ".hook_resid_post";
                    Compare.allClose("cli " + hook, Compare.rows(layers, i * seq, (i + 1) * seq, d),
                            c.toFloatArray(hook), f.atol("hidden_states"), f.rtol("hidden_states"));
                }
                assertEquals(image.toAbsolutePath().normalize().toString(), c.metadata().get("image"));
            }
        }
    }
}
