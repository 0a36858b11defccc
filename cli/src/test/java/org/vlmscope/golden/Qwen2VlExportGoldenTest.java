package org.vlmscope.golden;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.vlmscope.core.ModelManifest;
import org.vlmscope.exporter.ExportOptions;
import org.vlmscope.exporter.Exporter;
import org.vlmscope.golden.Qwen2VlGraphs.Feed;
import org.vlmscope.golden.Qwen2VlGraphs.Output;
import org.vlmscope.graph.passes.AttentionBias;
import org.vlmscope.graph.passes.Expose;
import org.vlmscope.graph.passes.Gradient;
import org.vlmscope.graph.passes.LogitLens;
import org.vlmscope.graph.passes.Patch;

/**
 * Export the qwen2vl-dev golden checkpoint (Qwen2VLForConditionalGeneration, transformers 4.45.1) and run its three
 * graphs directly on ONNX Runtime, fed as Hugging Face's forward feeds its modules: the golden pixel rows, the patch
 * grid positions and image segments derived here from HF's rot_pos_emb definition, the golden input ids and 3-D
 * position ids. Every vision block, the merger, the LM input, every LM layer, the logits and 10 greedy KV-cache steps
 * must match; fp32 within the fixture's tolerances, fp16 within the tolerance derived in {@link Tolerance}, its
 * products summed in float32 as the runtime's CPU sessions, a GPU and HF's fp16 run sum them
 * ({@link org.vlmscope.graph.passes.AccumulateInFloat32}).
 */
class Qwen2VlExportGoldenTest {
    static final String FIXTURE = "qwen2vl-dev";

    @TempDir
    Path tmp;

    /**
     * HF's rot_pos_emb pos_ids for one image of t x h x w patches: each row's (row, column) on the patch grid, rows
     * ordered merge window by merge window (windows row-major, the m x m patches inside a window row-major), the
     * whole repeated for each of the t frames.
     */
    static long[] visionPositionIds(long t, long h, long w, long merge) {
        long[] ids = new long[(int) (t * h * w * 2)];
        int n = 0;
        for (long frame = 0; frame < t; frame++) {
            for (long windowRow = 0; windowRow < h / merge; windowRow++) {
                for (long windowCol = 0; windowCol < w / merge; windowCol++) {
                    for (long r = 0; r < merge; r++) {
                        for (long c = 0; c < merge; c++) {
                            ids[n++] = windowRow * merge + r;
                            ids[n++] = windowCol * merge + c;
                        }
                    }
                }
            }
        }
        return ids;
    }

    /** The fixture's checkpoint exported to {@code dir}; its manifest. */
    static ModelManifest export(GoldenFixture f, Path dir, String dtype) {
        return Exporter.export(f.checkpoint(), dir, ExportOptions.parse(dtype)).manifest();
    }

    /** The vision graph's three inputs for the fixture's one image. */
    static Map<String, Feed> visionFeeds(GoldenFixture f, int merge) {
        long[] grid = f.longs("image_grid_thw");
        int patches = (int) (grid[0] * grid[1] * grid[2]);
        float[] pixels = f.floats("pixel_values");
        Map<String, Feed> feeds = new LinkedHashMap<>();
        feeds.put("pixel_values", Feed.floats(pixels, patches, pixels.length / patches));
        feeds.put("vision_position_ids", Feed.longs(visionPositionIds(grid[0], grid[1], grid[2], merge), patches, 2));
        feeds.put("vision_segment_ids", Feed.longs(new long[patches], patches));
        return feeds;
    }

    /** The decoder's inputs for {@code embeds} [1, seq, d] after {@code past} cached positions. */
    static Map<String, Feed> decoderFeeds(ModelManifest m, float[] embeds, long[] positions3d, int past,
                                          Map<String, Feed> cache) {
        return decoderFeeds(m, 1, embeds, positions3d, past, cache);
    }

    /** The decoder's inputs for {@code batch} rows of embeds [batch, seq, d], positions [3, batch, seq]. */
    static Map<String, Feed> decoderFeeds(ModelManifest m, int batch, float[] embeds, long[] positions3d, int past,
                                          Map<String, Feed> cache) {
        int d = m.dims().dModel();
        int seq = embeds.length / d / batch;
        Map<String, Feed> feeds = new LinkedHashMap<>();
        feeds.put("inputs_embeds", Feed.floats(embeds, batch, seq, d));
        long[] mask = new long[batch * (past + seq)];
        Arrays.fill(mask, 1);
        feeds.put("attention_mask", Feed.longs(mask, batch, past + seq));
        feeds.put("position_ids", Feed.longs(positions3d, 3, batch, seq));
        feeds.putAll(cache);
        return feeds;
    }

    /** An empty KV cache in the decoder's cache type. */
    static Map<String, Feed> emptyCache(ModelManifest m) {
        return emptyCache(m, 1);
    }

    static Map<String, Feed> emptyCache(ModelManifest m, int batch) {
        Map<String, Feed> cache = new LinkedHashMap<>();
        long[] shape = {batch, m.dims().kvHeads(), 0, m.dims().headDim()};
        for (int i = 0; i < m.dims().layers(); i++) {
            for (String kind : List.of("key", "value")) {
                Feed empty = m.dtype().equals("fp16")
                        ? new Feed(shape, null, null, java.nio.ByteBuffer.allocateDirect(0),
                                ai.onnxruntime.OnnxJavaType.FLOAT16)
                        : Feed.floats(new float[0], shape);
                cache.put("past_key_values." + i + "." + kind, empty);
            }
        }
        return cache;
    }

    /** The present.{i}.* outputs of a run as the next run's past_key_values.{i}.*. */
    static Map<String, Feed> nextCache(Map<String, Output> out) {
        Map<String, Feed> cache = new LinkedHashMap<>();
        out.forEach((name, o) -> {
            if (name.startsWith("present.")) {
                cache.put("past_key_values." + name.substring("present.".length()), o.feed());
            }
        });
        return cache;
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"fp32", "fp16"})
    void exportReproducesHuggingFace(String dtype) {
        boolean fp16 = dtype.equals("fp16");
        try (GoldenFixture f = GoldenFixture.load(FIXTURE)) {
            Path dir = tmp.resolve("model");
            ModelManifest m = export(f, dir, dtype);
            JsonNode noise = f.manifest.path("fp32_noise_vs_fp64");
            double visionScale = noise.path("vision_scale").asDouble();
            double hiddenScale = noise.path("hidden_scale").asDouble();
            int depth = m.dims().visionLayers();
            int layers = m.dims().layers();
            int d = m.dims().dModel();

            float[] features;
            try (Qwen2VlGraphs vision = new Qwen2VlGraphs(dir, "vision.onnx", List.of(new Expose(List.of(
                    "vision.hook_embed", "vision.blocks.*.hook_resid_post", "projector.hook_out"))))) {
                Map<String, Output> out = vision.run(visionFeeds(f, m.qwen2vl().spatialMergeSize()));
                int dv = m.dims().visionDModel();
                Tolerance embed = fp16 ? Tolerance.fp16(1, visionScale) : Tolerance.fp32(f, "vision_and_projector");
                Compare.allClose("vision.patch_embed", f.floats("vision.patch_embed"),
                        out.get("vision.hook_embed").values(), embed.atol(), embed.rtol());
                float[] blocks = f.floats("vision.block_outputs");
                int patches = blocks.length / depth / dv;
                for (int i = 0; i < depth; i++) {
                    Tolerance t = fp16 ? Tolerance.fp16(i + 1, visionScale) : Tolerance.fp32(f, "vision_and_projector");
                    Compare.allClose("vision.block_outputs[" + i + "]", Compare.rows(blocks, i * patches,
                            (i + 1) * patches, dv), out.get("vision.blocks." + i + ".hook_resid_post").values(),
                            t.atol(), t.rtol());
                }
                Tolerance proj = fp16 ? Tolerance.fp16(depth + 1, visionScale) : Tolerance.fp32(f, "vision_and_projector");
                Compare.allClose("projector.output", f.floats("projector.output"), out.get("projector.hook_out").values(),
                        proj.atol(), proj.rtol());
                features = out.get("image_features").values();
            }

            int projectorBlocks = depth + 1;
            long[] ids = f.inputIds();
            try (Qwen2VlGraphs embed = new Qwen2VlGraphs(dir, "embed.onnx", List.of());
                 Qwen2VlGraphs decoder = new Qwen2VlGraphs(dir, "decoder.onnx",
                         List.of(new Expose(List.of("blocks.*.hook_resid_post"))))) {
                float[] embeds = embed(embed, ids, features, d);
                Tolerance embedsTol = fp16 ? Tolerance.fp16(projectorBlocks, hiddenScale) : Tolerance.fp32(f, "hidden_states");
                Compare.allClose("lm.inputs_embeds", f.floats("lm.inputs_embeds"), embeds, embedsTol.atol(), embedsTol.rtol());

                long[] positions = f.longs("position_ids");
                Map<String, Output> out = decoder.run(decoderFeeds(m, embeds, positions, 0, emptyCache(m)));
                float[] layerOutputs = f.floats("lm.layer_outputs");
                for (int i = 0; i < layers; i++) {
                    Tolerance t = fp16 ? Tolerance.fp16(projectorBlocks + i + 1, hiddenScale) : Tolerance.fp32(f, "hidden_states");
                    Compare.allClose("lm.layer_outputs[" + i + "]", Compare.rows(layerOutputs, i * ids.length,
                            (i + 1) * ids.length, d), out.get("blocks." + i + ".hook_resid_post").values(),
                            t.atol(), t.rtol());
                }
                Tolerance logitsTol = fp16 ? Tolerance.fp16(projectorBlocks + layers, noise.path("logits_scale").asDouble())
                        : Tolerance.fp32(f, "logits");
                Compare.allClose("logits", f.floats("logits"), out.get("logits").values(), logitsTol.atol(),
                        logitsTol.rtol());
                greedy(f, m, embed, decoder, out, positions, logitsTol, fp16);
            }
        }
    }

    /** inputs_embeds [1, seq, d] of one row of ids with {@code features} [tokens, d] as its visual tokens. */
    static float[] embed(Qwen2VlGraphs embed, long[] ids, float[] features, int d) {
        Map<String, Feed> feeds = new LinkedHashMap<>();
        feeds.put("input_ids", Feed.longs(ids, 1, ids.length));
        feeds.put("image_features", Feed.floats(features, 1, features.length / d, d));
        return embed.run(feeds).get("inputs_embeds").values();
    }

    /**
     * 10 greedy steps with the KV cache. After the prompt, HF's generate feeds each new token at position
     * cache_position + rope_delta on all three axes, rope_delta = max(prompt position ids) + 1 - prompt length: the
     * text positions go on from one past the largest prompt position. fp32 runs free: every id and every step's
     * logits must match. fp16 is fed the reference ids (so one near-tie cannot derail the later steps): every step's
     * logits must match within the fp16 tolerance, and the argmax must be the reference id wherever the reference
     * top-1/top-2 margin exceeds twice that tolerance.
     */
    private static void greedy(GoldenFixture f, ModelManifest m, Qwen2VlGraphs embed, Qwen2VlGraphs decoder,
                               Map<String, Output> prefill, long[] positions, Tolerance tol, boolean fp16) {
        long[] expected = f.longs("generate.ids");
        JsonNode margins = f.manifest.path("generation").path("top1_top2_margins");
        int vocab = m.dims().vocab();
        int prompt = f.inputIds().length;
        long next = Arrays.stream(positions).max().orElseThrow() + 1;
        assertEquals(f.manifest.path("sequence").path("rope_delta").asLong(), next - prompt, "rope_delta");
        float[] steps = f.floats("generate.step_logits");
        float[] logits = Compare.rows(prefill.get("logits").values(), prompt - 1, prompt, vocab);
        Map<String, Feed> cache = nextCache(prefill);
        int decided = 0;
        for (int k = 0; k < expected.length; k++) {
            Compare.allClose("generate.step_logits[" + k + "]", Compare.rows(steps, k, k + 1, vocab), logits,
                    tol.atol(), tol.rtol());
            long chosen = argmax(logits);
            if (!fp16 || margins.get(k).asDouble() > 2 * tol.atol()) {
                assertEquals(expected[k], chosen, "greedy id " + k);
                decided++;
            }
            long fed = fp16 ? expected[k] : chosen;
            float[] embeds = embed(embed, new long[] {fed}, new float[0], m.dims().dModel());
            long p = next + k;
            Map<String, Output> out = decoder.run(decoderFeeds(m, embeds, new long[] {p, p, p}, prompt + k, cache));
            logits = out.get("logits").values();
            cache = nextCache(out);
        }
        assertTrue(decided >= 1, "at least one greedy step is decided by a margin above the tolerance");
    }

    /** The index of the largest value, the first on ties (torch.argmax). */
    static int argmax(float[] v) {
        return java.util.stream.IntStream.range(0, v.length).reduce((a, b) -> v[b] > v[a] ? b : a).orElseThrow();
    }

    /** The LM input of the fixture's prompt: the vision graph's features written into the embed graph's output. */
    static float[] promptEmbeds(GoldenFixture f, Path dir, ModelManifest m) {
        float[] features;
        try (Qwen2VlGraphs vision = new Qwen2VlGraphs(dir, "vision.onnx", List.of())) {
            features = vision.run(visionFeeds(f, m.qwen2vl().spatialMergeSize())).get("image_features").values();
        }
        try (Qwen2VlGraphs embed = new Qwen2VlGraphs(dir, "embed.onnx", List.of())) {
            return embed(embed, f.inputIds(), features, m.dims().dModel());
        }
    }

    /**
     * Two images of different grids in one vision call (rows concatenated, segment ids 0 and 1) give each image the
     * features it gets alone; with one segment id for both, attention crosses the images and they do not. The second
     * image is the golden image's first 16 rows: its first four 2x2 merge windows, an image 2 patches high and 8 wide.
     */
    @Test
    void imagesInOneVisionCallAttendOnlyWithinThemselves() {
        try (GoldenFixture f = GoldenFixture.load(FIXTURE)) {
            Path dir = tmp.resolve("model");
            ModelManifest m = export(f, dir, "fp32");
            int merge = m.qwen2vl().spatialMergeSize();
            Map<String, Feed> first = visionFeeds(f, merge);
            int width = (int) first.get("pixel_values").shape()[1];
            int rows = (int) first.get("pixel_values").shape()[0];
            int small = 16;
            float[] smallPixels = Arrays.copyOf(first.get("pixel_values").floats(), small * width);
            long[] smallPositions = visionPositionIds(1, 2, 8, merge);
            Map<String, Feed> second = new LinkedHashMap<>();
            second.put("pixel_values", Feed.floats(smallPixels, small, width));
            second.put("vision_position_ids", Feed.longs(smallPositions, small, 2));
            second.put("vision_segment_ids", Feed.longs(new long[small], small));

            float[] pixels = Arrays.copyOf(first.get("pixel_values").floats(), (rows + small) * width);
            System.arraycopy(smallPixels, 0, pixels, rows * width, smallPixels.length);
            long[] positions = Arrays.copyOf(first.get("vision_position_ids").longs(), (rows + small) * 2);
            System.arraycopy(smallPositions, 0, positions, rows * 2, smallPositions.length);
            long[] segments = new long[rows + small];
            Arrays.fill(segments, rows, rows + small, 1);
            Map<String, Feed> both = new LinkedHashMap<>();
            both.put("pixel_values", Feed.floats(pixels, rows + small, width));
            both.put("vision_position_ids", Feed.longs(positions, rows + small, 2));
            both.put("vision_segment_ids", Feed.longs(segments, rows + small));

            int d = m.dims().dModel();
            int tokens = rows / (merge * merge);
            int smallTokens = small / (merge * merge);
            try (Qwen2VlGraphs vision = new Qwen2VlGraphs(dir, "vision.onnx", List.of())) {
                float[] alone1 = vision.run(first).get("image_features").values();
                float[] alone2 = vision.run(second).get("image_features").values();
                float[] together = vision.run(both).get("image_features").values();
                Tolerance t = Tolerance.fp32(f, "vision_and_projector");
                Compare.allClose("first image in a two-image call", alone1,
                        Compare.rows(together, 0, tokens, d), t.atol(), t.rtol());
                Compare.allClose("second image in a two-image call", alone2,
                        Compare.rows(together, tokens, tokens + smallTokens, d), t.atol(), t.rtol());
                both.put("vision_segment_ids", Feed.longs(new long[rows + small], rows + small));
                float[] mixed = vision.run(both).get("image_features").values();
                assertTrue(Compare.maxAbsDiff(alone2, Compare.rows(mixed, tokens, tokens + smallTokens, d)) > 1e-2,
                        "one segment for both images lets the small one attend to the large one");
            }
        }
    }

    /** An fp32 export of the fixture and its prompt's LM input. */
    private record Exported(Path dir, ModelManifest manifest, float[] embeds) {
    }

    private Exported exportedPrompt(GoldenFixture f) {
        Path dir = tmp.resolve("model");
        ModelManifest m = export(f, dir, "fp32");
        return new Exported(dir, m, promptEmbeds(f, dir, m));
    }

    /**
     * Mean ablation, attention knockout and the logit lens through the existing passes (Patch on the LM input,
     * AttentionBias, LogitLens) reproduce the fixture's intervention records.
     */
    @Test
    void interventionsThroughThePassesReproduceHuggingFace() {
        try (GoldenFixture f = GoldenFixture.load(FIXTURE)) {
            Exported e = exportedPrompt(f);
            Path dir = e.dir();
            ModelManifest m = e.manifest();
            float[] embeds = e.embeds();
            long[] positions = f.longs("position_ids");
            int seq = f.inputIds().length;
            int d = m.dims().dModel();
            int vocab = m.dims().vocab();
            Tolerance logitsTol = Tolerance.fp32(f, "logits");

            String input = "blocks.0.hook_resid_pre";
            float[] mean = f.floats("ablation.mean_vector");
            try (Qwen2VlGraphs decoder = new Qwen2VlGraphs(dir, "decoder.onnx", List.of(new Patch(List.of(input))))) {
                for (JsonNode c : f.manifest.path("ablation").path("cases")) {
                    float[] value = new float[seq * d];
                    float[] mask = new float[seq];
                    for (JsonNode p : c.path("sequence_positions")) {
                        System.arraycopy(mean, 0, value, p.asInt() * d, d);
                        mask[p.asInt()] = 1;
                    }
                    Map<String, Feed> feeds = decoderFeeds(m, embeds, positions, 0, emptyCache(m));
                    feeds.put(input + ".patch_value", Feed.floats(value, 1, seq, d));
                    feeds.put(input + ".patch_mask", Feed.floats(mask, 1, seq, 1));
                    float[] last = Compare.rows(decoder.run(feeds).get("logits").values(), seq - 1, seq, vocab);
                    Compare.allClose(c.path("tensor").asText(), f.floats(c.path("tensor").asText()), last,
                            logitsTol.atol(), logitsTol.rtol());
                }
            }

            long target = f.manifest.path("target_token").path("id").asLong();
            for (JsonNode c : f.manifest.path("knockout").path("cases")) {
                List<Integer> layers = new java.util.ArrayList<>();
                c.path("layers").forEach(l -> layers.add(l.asInt()));
                try (Qwen2VlGraphs decoder = new Qwen2VlGraphs(dir, "decoder.onnx", List.of(new AttentionBias(layers)))) {
                    float[] bias = new float[seq * seq];
                    int query = c.path("query_position").asInt();
                    c.path("key_positions").forEach(k -> bias[query * seq + k.asInt()] = Float.NEGATIVE_INFINITY);
                    Map<String, Feed> feeds = decoderFeeds(m, embeds, positions, 0, emptyCache(m));
                    layers.forEach(l -> feeds.put(AttentionBias.inputName(l), Feed.floats(bias, 1, 1, seq, seq)));
                    float[] last = Compare.rows(decoder.run(feeds).get("logits").values(), seq - 1, seq, vocab);
                    String name = c.path("name").asText();
                    Compare.allClose("knockout." + name + ".final_logits",
                            f.floats("knockout." + name + ".final_logits"), last, logitsTol.atol(), logitsTol.rtol());
                    assertEquals(c.path("target_prob").asDouble(), softmax(last)[(int) target],
                            f.atol("target_prob"), "knockout." + name + ".target_prob");
                }
            }

            try (Qwen2VlGraphs decoder = new Qwen2VlGraphs(dir, "decoder.onnx", List.of(new LogitLens(5, List.of())))) {
                Map<String, Output> out = decoder.run(decoderFeeds(m, embeds, positions, 0, emptyCache(m)));
                checkLens(f, out.get(LogitLens.TOP_IDS).values(), out.get(LogitLens.TOP_LOGITS).values(), seq, logitsTol);
            }
        }
    }

    /**
     * Integrated gradients through the gradient pass on the decoder: the 50 right-Riemann points between the
     * mean-vector baseline and the prompt's visual tokens in one batch, the gradient of the target logit at the last
     * position with respect to inputs_embeds, (x - baseline) * mean gradient summed over the hidden dimension per
     * visual token, against the fixture's ig.scores.
     */
    @Test
    void integratedGradientsThroughTheGradientPassReproduceHuggingFace() {
        try (GoldenFixture f = GoldenFixture.load(FIXTURE)) {
            Exported e = exportedPrompt(f);
            float[] x = e.embeds();
            ModelManifest m = e.manifest();
            Path dir = e.dir();
            JsonNode ig = f.manifest.path("integrated_gradients");
            int steps = ig.path("steps").asInt();
            int target = ig.path("target_token").asInt();
            int seq = f.inputIds().length;
            int d = m.dims().dModel();
            int vocab = m.dims().vocab();
            int start = f.manifest.path("sequence").path("visual_start").asInt();
            int end = f.manifest.path("sequence").path("visual_end_exclusive").asInt();
            float[] mean = f.floats("ablation.mean_vector");
            float[] baseline = x.clone();
            for (int p = start; p < end; p++) {
                System.arraycopy(mean, 0, baseline, p * d, d);
            }
            float[] points = new float[steps * seq * d];
            float[] seed = new float[steps * seq * vocab];
            long[] positions = f.longs("position_ids");
            long[] batchPositions = new long[3 * steps * seq];
            for (int k = 0; k < steps; k++) {
                double alpha = (k + 1) / (double) steps;
                for (int i = 0; i < seq * d; i++) {
                    points[k * seq * d + i] = (float) (baseline[i] + alpha * (x[i] - baseline[i]));
                }
                seed[(k * seq + seq - 1) * vocab + target] = 1;
                for (int axis = 0; axis < 3; axis++) {
                    System.arraycopy(positions, axis * seq, batchPositions, (axis * steps + k) * seq, seq);
                }
            }
            float[] grad;
            try (Qwen2VlGraphs decoder = new Qwen2VlGraphs(dir, "decoder.onnx",
                    List.of(new Gradient("inputs_embeds")))) {
                Map<String, Feed> feeds = decoderFeeds(m, steps, points, batchPositions, 0, emptyCache(m, steps));
                feeds.put(Gradient.SEED, Feed.floats(seed, steps, seq, vocab));
                grad = decoder.run(feeds).get(Gradient.outputName("inputs_embeds")).values();
            }
            float[] scores = new float[end - start];
            for (int p = start; p < end; p++) {
                double score = 0;
                for (int j = 0; j < d; j++) {
                    double meanGrad = 0;
                    for (int k = 0; k < steps; k++) {
                        meanGrad += grad[(k * seq + p) * d + j];
                    }
                    score += (x[p * d + j] - baseline[p * d + j]) * meanGrad / steps;
                }
                scores[p - start] = (float) score;
            }
            Compare.allClose("ig.scores", f.floats("ig.scores"), scores, f.atol("ig_scores"), f.rtol("ig_scores"));
        }
    }

    /**
     * Lens rows 1..L (row 0 is the LM input) against HF's top-5 of lm_head(norm(layer output)): the values within the
     * logits tolerance, the ids exactly except where two adjacent reference values lie within that tolerance.
     */
    private static void checkLens(GoldenFixture f, float[] ids, float[] logits, int seq, Tolerance tol) {
        long[] expectedIds = f.longs("logit_lens.top5_ids");
        float[] expectedValues = f.floats("logit_lens.top5_values");
        int k = 5;
        int rowSize = seq * k;
        float[] layerRows = Arrays.copyOfRange(logits, rowSize, logits.length);
        Compare.allClose("logit_lens.top5_values", expectedValues, layerRows, tol.atol(), tol.rtol());
        int compared = 0;
        for (int i = 0; i < expectedIds.length; i++) {
            int j = i % k;
            boolean tiedBelow = j > 0 && expectedValues[i - 1] - expectedValues[i] < tol.atol();
            boolean tiedAbove = j < k - 1 && expectedValues[i] - expectedValues[i + 1] < tol.atol();
            if (!tiedBelow && !tiedAbove) {
                assertEquals(expectedIds[i], (long) ids[rowSize + i], "logit_lens.top5_ids[" + i + "]");
                compared++;
            }
        }
        assertTrue(compared > expectedIds.length * 9 / 10, "most lens ids are compared: " + compared);
    }

    static double[] softmax(float[] logits) {
        double max = Double.NEGATIVE_INFINITY;
        for (float v : logits) {
            max = Math.max(max, v);
        }
        double sum = 0;
        double[] p = new double[logits.length];
        for (int i = 0; i < logits.length; i++) {
            p[i] = Math.exp(logits[i] - max);
            sum += p[i];
        }
        for (int i = 0; i < p.length; i++) {
            p[i] /= sum;
        }
        return p;
    }

    /** Qwen2-VL-2B's config.json style (non-defaults only, legacy rope type mrope) exports the same graphs. */
    @Test
    void compactConfigExportsLikeFullConfig() throws java.io.IOException {
        try (GoldenFixture f = GoldenFixture.load(FIXTURE)) {
            Path compactCheckpoint = CheckpointCopies.withConfig(f.checkpoint(), tmp.resolve("compact-checkpoint"),
                    f.dir.resolve("../../compact-configs/" + FIXTURE + ".json").normalize());
            var full = Exporter.export(f.checkpoint(), tmp.resolve("full"), ExportOptions.parse("fp32"));
            var compact = Exporter.export(compactCheckpoint, tmp.resolve("compact"), ExportOptions.parse("fp32"));
            CheckpointCopies.assertSameGraphs(full.modelDir(), compact.modelDir());
            assertEquals(full.manifest().dims(), compact.manifest().dims());
            assertEquals(full.manifest().qwen2vl(), compact.manifest().qwen2vl());
        }
    }

    /** transformers 4.52's keys (model.language_model.*, model.visual.*) export the same graphs as 4.45's. */
    @Test
    void newerKeyLayoutExportsTheSameGraphs() throws java.io.IOException {
        try (GoldenFixture f = GoldenFixture.load(FIXTURE)) {
            Path renamed = CheckpointCopies.renamed(f.checkpoint(), tmp.resolve("renamed"), name -> name
                    .replaceFirst("^model\\.", "model.language_model.")
                    .replaceFirst("^visual\\.", "model.visual."));
            Path classic = Exporter.export(f.checkpoint(), tmp.resolve("classic"), ExportOptions.parse("fp32")).modelDir();
            Path newer = Exporter.export(renamed, tmp.resolve("newer"), ExportOptions.parse("fp32")).modelDir();
            CheckpointCopies.assertSameGraphs(classic, newer);
        }
    }

    @Test
    void manifestCarriesTheQwen2VlFacts() {
        try (GoldenFixture f = GoldenFixture.load(FIXTURE)) {
            Exporter.export(f.checkpoint(), tmp.resolve("model"), ExportOptions.parse("fp32"));
            ModelManifest m = ModelManifest.read(tmp.resolve("model"));
            assertEquals("qwen2_vl", m.family());
            assertEquals("qwen2", m.textModelType());
            assertEquals(new ModelManifest.Qwen2Vl(1242, 1243, 2, 2, List.of(2, 3, 3)), m.qwen2vl());
            assertEquals(f.manifest.path("sequence").path("image_token_id").asLong(), m.imageTokenId());
            assertEquals(new ModelManifest.Dims(3, 64, 4, 2, 16, 112, 1250, 2, 48, 0, 14, 0, 0, 32768), m.dims());
            assertEquals(1240L, m.bosTokenId());
            assertEquals(List.of(1241L), m.eosTokenIds());
            assertEquals(1249L, m.padTokenId());
            assertTrue(m.graph("vision").hooks().containsAll(List.of("vision.hook_embed",
                    "vision.blocks.1.hook_resid_post", "vision.blocks.1.attn.hook_pattern", "projector.hook_out")));
            assertTrue(m.graph("decoder").hooks().containsAll(List.of("blocks.0.hook_resid_pre",
                    "blocks.2.attn.hook_attn_scores", "blocks.2.hook_resid_post", "logits")));
        }
    }
}
