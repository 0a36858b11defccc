package org.vlmscope.golden;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
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
import org.vlmscope.golden.Qwen2VlGraphs.Feed;
import org.vlmscope.runtime.image.ImageGrid;
import org.vlmscope.runtime.image.VisionInput;
import org.vlmscope.runtime.input.InputRequest;
import org.vlmscope.runtime.input.ModelInput;
import org.vlmscope.runtime.run.Forward;
import org.vlmscope.runtime.run.Greedy;
import org.vlmscope.runtime.session.Device;
import org.vlmscope.runtime.session.ModelSession;
import org.vlmscope.runtime.text.PromptTemplates.Fidelity;
import org.vlmscope.runtime.text.PromptTemplates.Variant;

/**
 * Qwen2-VL end to end on qwen2vl-dev: the export run from image.png and the bare input_ids (the runtime derives
 * the pixel rows, the grid, the vision graph's patch positions and the 3-D M-RoPE positions itself) reproduces
 * Hugging Face's patch embedding, every vision block, the merger output, the LM input embeddings, every layer's
 * residual stream and the logits within the fixture's fp32 tolerances; greedy decoding with the KV cache gives
 * generate.ids and its step logits, alone and as the shorter row of a left-padded batch; {@code vlmscope run}
 * does the same from the command line. A prompt holding two images is checked at the end (see there).
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

    /**
     * Positions of one Qwen2-VL prompt holding two images. There is no Hugging Face golden with two images, so the
     * references are: (1) HF's own numbers for the part of the prompt before the second image (the prompt starts
     * exactly as the golden one, so under causal attention its first 56 positions must give the golden logits);
     * (2) the exported graphs fed by hand, independently of the runtime: each image through vision.onnx alone (one
     * segment), the two feature blocks concatenated into embed.onnx with the expanded ids built here, and
     * decoder.onnx with 3-D positions numbered here from get_rope_index's definition; (3) for generation, a full
     * recompute of the prompt plus the tokens so far at every step against the KV-cache loop.
     *
     * <p>The prompt: the golden prompt's text and image A (the fixture's pixel_values, 12x16 patches, 6x8 = 48 visual
     * tokens, positions 7-54), its {@code <|vision_end|>}, then a second {@code <|vision_start|>}, image B
     * (llava-phi3-dev's 360x420 image: smart_resize to 196 x 168, 14x12 patches, 7x6 = 42 tokens, positions 57-98), a
     * {@code <|vision_end|>} and the golden prompt's closing text: 106 positions.
     */
    private static final int SEQ = 106;

    /** Image A as HF's processor made it: the fixture's pixel rows and grid. */
    private static VisionInput imageA(GoldenFixture f) {
        return new VisionInput(NamedTensor.ofFloats("pixel_values", new long[] {192, 1176}, f.floats("pixel_values")),
                List.of(new ImageGrid(1, 12, 16)));
    }

    private static Path imageBFile() {
        try (GoldenFixture other = GoldenFixture.load("llava-phi3-dev")) {
            return other.dir.resolve("image.png");
        }
    }

    /** The prompt with one placeholder per image: golden ids 0-6, image A, 1243, 1242, image B, 1243, golden 56-61. */
    private static long[] placeholders(GoldenFixture f, long image) {
        long[] g = f.inputIds();
        long[] ids = new long[7 + 1 + 3 + 1 + 6];
        System.arraycopy(g, 0, ids, 0, 7);
        ids[7] = image;
        ids[8] = 1243;
        ids[9] = 1242;
        ids[10] = image;
        ids[11] = 1243;
        System.arraycopy(g, 56, ids, 12, 6);
        return ids;
    }

    /** The same prompt expanded by hand: 48 image tokens at 7-54, 42 at 57-98. */
    private static long[] expanded(GoldenFixture f, long image) {
        long[] p = placeholders(f, image);
        long[] ids = new long[SEQ];
        System.arraycopy(p, 0, ids, 0, 7);
        Arrays.fill(ids, 7, 55, image);
        ids[55] = 1243;
        ids[56] = 1242;
        Arrays.fill(ids, 57, 99, image);
        ids[99] = 1243;
        System.arraycopy(p, 12, ids, 100, 6);
        return ids;
    }

    /**
     * position_ids [3, 106] from get_rope_index's definition: the text 0-6 counts 0-6; image A starts at 7 (the text
     * before it is 7 long): (7, 7 + row, 7 + col) on its 6x8 grid, largest 14; the text between (vision end, vision
     * start) goes on from 15: 15, 16; image B starts at 16 + 1 = 17: (17, 17 + row, 17 + col) on its 7x6 grid,
     * largest 23; the closing text counts 24-30 on all three axes.
     */
    private static long[] positions() {
        long[][] pos = new long[3][SEQ];
        for (int i = 0; i < 7; i++) {
            text(pos, i, i);
        }
        block(pos, 7, 7, 6, 8);
        text(pos, 55, 15);
        text(pos, 56, 16);
        block(pos, 57, 17, 7, 6);
        for (int i = 99; i < SEQ; i++) {
            text(pos, i, 24 + (i - 99));
        }
        long[] flat = new long[3 * SEQ];
        for (int a = 0; a < 3; a++) {
            System.arraycopy(pos[a], 0, flat, a * SEQ, SEQ);
        }
        return flat;
    }

    private static void text(long[][] pos, int at, long value) {
        for (long[] axis : pos) {
            axis[at] = value;
        }
    }

    private static void block(long[][] pos, int at, long start, int rows, int cols) {
        for (int r = 0; r < rows; r++) {
            for (int c = 0; c < cols; c++) {
                pos[0][at] = start;
                pos[1][at] = start + r;
                pos[2][at] = start + c;
                at++;
            }
        }
    }

    /** image_features of one image run through vision.onnx alone (segment 0). */
    private static float[] alone(Qwen2VlGraphs vision, VisionInput image, int merge) {
        ImageGrid g = image.grids().get(0);
        long[] shape = image.pixelValues().shape();
        Map<String, Feed> feeds = new LinkedHashMap<>();
        feeds.put("pixel_values", Feed.floats(image.pixelValues().toFloatArray(), shape));
        feeds.put("vision_position_ids", Feed.longs(Qwen2VlExportGoldenTest.visionPositionIds(g.frames(), g.rows(),
                g.cols(), merge), shape[0], 2));
        feeds.put("vision_segment_ids", Feed.longs(new long[(int) shape[0]], shape[0]));
        return vision.run(feeds).get("image_features").values();
    }

    private static float[] concat(float[] a, float[] b) {
        float[] out = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }

    @Test
    void twoImagesMatchTheGraphsFedByHandAndHfBeforeTheSecondImage() {
        try (GoldenFixture f = GoldenFixture.load("qwen2vl-dev");
             ModelSession s = ModelSession.open(model, Device.CPU, List.of("projector.hook_out",
                     "blocks.0.hook_resid_pre", "blocks.*.hook_resid_post"))) {
            ModelManifest m = s.manifest();
            int d = m.dims().dModel();
            int vocab = m.dims().vocab();
            int merge = m.qwen2vl().spatialMergeSize();
            VisionInput a = imageA(f);
            VisionInput b = ModelInput.vision(model, m, imageBFile());
            assertEquals(List.of(new ImageGrid(1, 14, 12)), b.grids());
            long[] hand = positions();
            long[] golden = f.longs("position_ids");
            for (int axis = 0; axis < 3; axis++) {
                assertArrayEquals(Arrays.copyOfRange(golden, axis * 62, axis * 62 + 56),
                        Arrays.copyOfRange(hand, axis * SEQ, axis * SEQ + 56), "hand positions before image B, axis "
                                + axis);
            }

            float[] features;
            float[] embeds;
            Map<String, Qwen2VlGraphs.Output> reference;
            try (Qwen2VlGraphs vision = new Qwen2VlGraphs(model, "vision.onnx", List.of());
                 Qwen2VlGraphs embed = new Qwen2VlGraphs(model, "embed.onnx", List.of());
                 Qwen2VlGraphs decoder = new Qwen2VlGraphs(model, "decoder.onnx", List.of())) {
                features = concat(alone(vision, a, merge), alone(vision, b, merge));
                embeds = Qwen2VlExportGoldenTest.embed(embed, expanded(f, m.imageTokenId()), features, d);
                reference = decoder.run(Qwen2VlExportGoldenTest.decoderFeeds(m, embeds, hand, 0,
                        Qwen2VlExportGoldenTest.emptyCache(m)));
            }
            assertEquals((48 + 42) * d, features.length);

            Map<String, NamedTensor> out = Forward.run(s, VisionInput.concat(List.of(a, b)),
                    new long[][] {placeholders(f, m.imageTokenId())}, List.of(), null, Forward.Logits.ALL);
            double atol = f.atol("logits");
            double rtol = f.rtol("logits");
            Compare.allClose("each image's features in one vision call = alone", features,
                    out.get("projector.hook_out").toFloatArray(), f.atol("vision_and_projector"),
                    f.rtol("vision_and_projector"));
            Compare.allClose("inputs_embeds", embeds, out.get("blocks.0.hook_resid_pre").toFloatArray(),
                    f.atol("hidden_states"), f.rtol("hidden_states"));
            float[] logits = out.get("logits").toFloatArray();
            assertEquals(SEQ * vocab, logits.length);
            Compare.allClose("logits = graphs fed by hand", reference.get("logits").values(), logits, atol, rtol);
            Compare.allClose("logits before image B = HF golden", Compare.rows(f.floats("logits"), 0, 56, vocab),
                    Compare.rows(logits, 0, 56, vocab), atol, rtol);
            // The part after image B is no copy of the one-image prompt's: image B changed it.
            assertTrue(Compare.maxAbsDiff(Compare.rows(f.floats("logits"), 61, 62, vocab),
                    Compare.rows(logits, SEQ - 1, SEQ, vocab)) > 1e-3, "the last position sees image B");
        }
    }

    /**
     * Greedy decoding with the KV cache continues after image B's block at max position + 1 (rope_delta
     * 30 + 1 - 106 = -75): each step's logits equal a full recompute of the prompt and the tokens so far, whose
     * positions the runtime numbers afresh from get_rope_index.
     */
    @Test
    void greedyWithCacheEqualsFullRecompute() {
        try (GoldenFixture f = GoldenFixture.load("qwen2vl-dev");
             ModelSession s = ModelSession.open(model, Device.CPU, List.of())) {
            ModelManifest m = s.manifest();
            int vocab = m.dims().vocab();
            VisionInput both = VisionInput.concat(List.of(imageA(f), ModelInput.vision(model, m, imageBFile())));
            long[] prompt = placeholders(f, m.imageTokenId());
            int steps = 4;
            Greedy.Generation g = Greedy.run(s, both, new long[][] {prompt}, steps, Set.of(), List.of(), null, null);
            for (int k = 0; k < steps; k++) {
                long[] ids = Arrays.copyOf(prompt, prompt.length + k);
                System.arraycopy(g.tokens()[0], 0, ids, prompt.length, k);
                float[] all = Forward.run(s, both, new long[][] {ids}, List.of(), null, Forward.Logits.LAST)
                        .get("logits").toFloatArray();
                float[] last = Arrays.copyOfRange(all, all.length - vocab, all.length);
                Compare.allClose("step " + k, last, g.stepLogits()[0][k], f.atol("logits"), f.rtol("logits"));
                assertEquals(Qwen2VlExportGoldenTest.argmax(last), g.tokens()[0][k], "step " + k);
            }
        }
    }

    /**
     * {@code vlmscope run MODEL --image A --image B --prompt ...}: both images go into Qwen2-VL's chat template (its
     * default system turn, then A's and B's vision blocks before the question) and the run's logits are those of the
     * same ids and images through the runtime; {@code attribute} takes the same options. With the stand-in
     * word-level tokenizer the system turn, user and the vision start take 12 ids, so A's 48 tokens sit at 12-59 and
     * B's 42 at 62-103.
     */
    @Test
    void runCommandTakesRepeatedImages() throws IOException, URISyntaxException {
        Path dir = tmp.resolve("model");
        Files.createDirectories(dir);
        try (var files = Files.list(model)) {
            for (Path file : files.toList()) {
                Files.copy(file, dir.resolve(file.getFileName()));
            }
        }
        Path tokenizer = Path.of(getClass().getResource("/qwen2vl-dev-tokenizer/tokenizer.json").toURI()).getParent();
        Files.copy(tokenizer.resolve("tokenizer.json"), dir.resolve("tokenizer.json"));
        try (GoldenFixture f = GoldenFixture.load("qwen2vl-dev")) {
            Path a = f.dir.resolve("image.png");
            Path b = imageBFile();
            Path cache = tmp.resolve("cache.safetensors");
            Cli.Result r = Cli.ok("run", dir.toString(), "--image", a.toString(), "--image", b.toString(), "--prompt",
                    "What is this ?", "--cache", cache.toString(), "--device", "cpu");
            assertTrue(r.out().contains("visual tokens 12-59 from " + a.toAbsolutePath().normalize() + ", 62-103 from "
                    + b.toAbsolutePath().normalize()), r::toString);
            ModelManifest m = ModelManifest.read(dir);
            try (SafetensorsFile c = SafetensorsFile.open(cache);
                 ModelInput.Prepared p = ModelInput.prepare(dir, m, InputRequest.question("What is this ?",
                         Variant.GENERATIVE, Fidelity.PAPER, List.of(a, b)));
                 ModelSession s = ModelSession.open(dir, Device.CPU, List.of())) {
                float[] want = Forward.run(s, p.vision(), p.ids(), List.of(), null, Forward.Logits.ALL).get("logits")
                        .toFloatArray();
                Compare.allClose("cli logits", want, c.toFloatArray("logits"), f.atol("logits"), f.rtol("logits"));
                assertTrue(c.metadata().get("prompt_rendered").startsWith("<|im_start|>system\nYou are a helpful "
                        + "assistant.<|im_end|>\n<|im_start|>user\n<|vision_start|><|image_pad|><|vision_end|>"
                        + "<|vision_start|><|image_pad|><|vision_end|>What is this ?"), c.metadata().toString());
            }
            // attribute takes the same images; only the first image's 48 tokens are named by a cell of its grid.
            Cli.Result ig = Cli.ok("attribute", dir.toString(), "--image", a.toString(), "--image", b.toString(),
                    "--prompt", "What is this ?", "--target", "5", "--steps", "2", "-o", tmp.resolve("ig.st").toString());
            Matcher cell = Pattern.compile("visual (\\d+) \\(row").matcher(ig.out());
            while (cell.find()) {
                assertTrue(Integer.parseInt(cell.group(1)) < 48, ig::toString);
            }
        }
    }
}
