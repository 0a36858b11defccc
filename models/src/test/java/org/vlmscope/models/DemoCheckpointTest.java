package org.vlmscope.models;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.IntStream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.vlmscope.core.CheckpointWeights;
import org.vlmscope.core.DType;
import org.vlmscope.core.TensorInfo;

class DemoCheckpointTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final List<String> FILES = List.of("config.json", "generation_config.json",
            "preprocessor_config.json", "model.safetensors", "tokenizer.json", "tokenizer_config.json",
            "special_tokens_map.json");

    @TempDir
    static Path tmp;
    static Path demo;

    @BeforeAll
    static void writeDemo() {
        demo = tmp.resolve("demo");
        DemoCheckpoint.write(demo);
    }

    @Test
    void secondWriteHasTheSameBytes() throws IOException {
        Path again = tmp.resolve("again");
        DemoCheckpoint.write(again);
        for (String file : FILES) {
            assertEquals(sha256(demo.resolve(file)), sha256(again.resolve(file)), file);
        }
    }

    /**
     * The shipped model's weights must not change silently, across JVMs or refactorings: this digest was recorded
     * when the generator was written. A deliberate change to the demo weights updates it.
     */
    @Test
    void bytesArePinned() throws IOException {
        assertEquals("d1388337e1f89ce4881848261b38783657cac0da458e226d22e65980db7a1c3f", sha256(demo.resolve("model.safetensors")));
        assertEquals("c67ef816883c9a7db95cdb9b986a9e68d0d80cf56604d7ef3e3e7cb482d2182d", sha256(demo.resolve("tokenizer.json")));
    }

    /**
     * Llama's layout: {@code <unk> <s> </s>}, the 256 byte-fallback tokens, then pieces, filling ids 0-999 without a
     * gap, so the added {@code <image>} and {@code <pad>} get the config's 1000 and 1001 (the tokenizers library
     * numbers added tokens from the vocabulary's size on), all below the model's vocab_size.
     */
    @Test
    void tokenizerVocabularyFitsTheModel() throws IOException {
        JsonNode tokenizer = JSON.readTree(demo.resolve("tokenizer.json").toFile());
        JsonNode config = JSON.readTree(demo.resolve("config.json").toFile());
        Map<String, Integer> vocab = vocabulary(tokenizer);
        assertEquals(1000, vocab.size());
        assertEquals(IntStream.range(0, 1000).boxed().toList(), vocab.values().stream().sorted().toList());
        assertEquals(List.of(0, 1, 2), List.of(vocab.get("<unk>"), vocab.get("<s>"), vocab.get("</s>")));
        for (int b = 0; b < 256; b++) {
            assertEquals(3 + b, vocab.get(String.format("<0x%02X>", b)));
        }
        Map<String, Integer> added = new TreeMap<>();
        for (JsonNode t : tokenizer.get("added_tokens")) {
            assertTrue(t.get("special").booleanValue(), t.toString());
            added.put(t.get("content").asText(), t.get("id").intValue());
        }
        assertEquals(Map.of("<unk>", 0, "<s>", 1, "</s>", 2, "<image>", config.get("image_token_index").intValue(),
                "<pad>", config.get("pad_token_id").intValue()), added);
        assertTrue(1001 < config.get("text_config").get("vocab_size").intValue());
        assertEquals(List.of(1), JSON.convertValue(tokenizer.at("/post_processor/special_tokens/<s>/ids"), List.class));
        assertEquals("Metaspace", tokenizer.at("/pre_tokenizer/type").asText());
        assertEquals("first", tokenizer.at("/pre_tokenizer/prepend_scheme").asText());
        assertTrue(tokenizer.at("/model/byte_fallback").booleanValue());
    }

    /** Every merge joins two known tokens into a known token: the BPE model is consistent. */
    @Test
    void tokenizerMergesStayInsideTheVocabulary() throws IOException {
        JsonNode tokenizer = JSON.readTree(demo.resolve("tokenizer.json").toFile());
        Map<String, Integer> vocab = vocabulary(tokenizer);
        JsonNode merges = tokenizer.at("/model/merges");
        assertTrue(merges.size() >= 1000 - 354, "merges: " + merges.size());
        for (JsonNode m : merges) {
            String left = m.get(0).asText();
            String right = m.get(1).asText();
            assertTrue(vocab.containsKey(left) && vocab.containsKey(right) && vocab.containsKey(left + right),
                    m.toString());
        }
    }

    /** The demo ids, read back through the written vocabulary, spell the demo prompt the Llama way. */
    @Test
    void demoInputIdsSpellTheDemoPrompt() throws IOException {
        Map<String, Integer> vocab = vocabulary(JSON.readTree(demo.resolve("tokenizer.json").toFile()));
        Map<Integer, String> byId = new TreeMap<>();
        vocab.forEach((token, id) -> byId.put(id, token));
        byId.put(1000, "<image>");
        StringBuilder text = new StringBuilder();
        long[] ids = DemoCheckpoint.demoInputIds();
        for (int i = 1; i < ids.length; i++) {
            String token = byId.get((int) ids[i]);
            text.append(token.equals("<0x0A>") ? "\n" : token.replace("\u2581", " "));
        }
        assertEquals(1, ids[0]);
        assertEquals(" " + DemoCheckpoint.DEMO_PROMPT, text.toString());
    }

    @Test
    void tokenizerConfigsAreThoseOfLlavaHf() throws IOException {
        JsonNode config = JSON.readTree(demo.resolve("tokenizer_config.json").toFile());
        assertTrue(config.get("add_bos_token").booleanValue());
        assertFalse(config.get("add_eos_token").booleanValue());
        assertFalse(config.get("legacy").booleanValue());
        assertEquals("<image>", config.get("image_token").asText());
        assertEquals("<image>", config.at("/added_tokens_decoder/1000/content").asText());
        assertEquals("<pad>", config.at("/added_tokens_decoder/1001/content").asText());
        JsonNode special = JSON.readTree(demo.resolve("special_tokens_map.json").toFile());
        assertEquals(List.of("bos_token", "eos_token", "pad_token", "unk_token"),
                JSON.convertValue(special, Map.class).keySet().stream().sorted().toList());
        assertEquals("<s>", special.at("/bos_token/content").asText());
    }

    private static Map<String, Integer> vocabulary(JsonNode tokenizer) {
        Map<String, Integer> vocab = new TreeMap<>();
        tokenizer.at("/model/vocab").fields().forEachRemaining(e -> vocab.put(e.getKey(), e.getValue().intValue()));
        return vocab;
    }

    /**
     * The first values of the first tensor in the file, computed by a separate Python implementation of SplitMix64
     * (SplittableRandom's generator) and the Box-Muller transform: the weights are what the documented recipe gives.
     */
    @Test
    void firstWeightsMatchAnIndependentImplementationOfTheRecipe() {
        int[] expectedBits = {0xbc6dae5b, 0x3c765822, 0xba48d930, 0xbabc27a6, 0x3c1110ea, 0xbc6374b2};
        try (CheckpointWeights weights = CheckpointWeights.open(demo)) {
            float[] lmHead = weights.toFloatArray("language_model.lm_head.weight");
            for (int i = 0; i < expectedBits.length; i++) {
                assertEquals(expectedBits[i], Float.floatToRawIntBits(lmHead[i]), "value " + i);
            }
        }
    }

    @Test
    void everyTensorHasTheShapeTheConfigImplies() throws IOException {
        JsonNode config = JSON.readTree(demo.resolve("config.json").toFile());
        Map<String, List<Long>> expected = expectedShapes(config);
        try (CheckpointWeights weights = CheckpointWeights.open(demo)) {
            assertEquals(expected.keySet(), weights.names());
            for (String name : weights.names()) {
                TensorInfo info = weights.info(name);
                assertEquals(expected.get(name), Arrays.stream(info.shape()).boxed().toList(), name);
                assertEquals(DType.F32, info.dtype(), name);
            }
        }
    }

    /** Same architecture and dimensions as the checkpoint Hugging Face wrote for the golden tests. */
    @Test
    void tensorsMatchTheGoldenCheckpointHuggingFaceWrote() {
        try (CheckpointWeights golden = CheckpointWeights.open(goldenModel());
             CheckpointWeights ours = CheckpointWeights.open(demo)) {
            assertEquals(golden.names(), ours.names());
            for (String name : golden.names()) {
                assertArrayEquals(golden.info(name).shape(), ours.info(name).shape(), name);
            }
        }
    }

    @Test
    void configListsOnlyNonDefaultValues() throws IOException {
        JsonNode config = JSON.readTree(demo.resolve("config.json").toFile());
        JsonNode text = config.get("text_config");
        JsonNode vision = config.get("vision_config");
        // LlamaConfig's rms_norm_eps default is 1e-6, so LLaVA-1.5's 1e-5 must be written.
        assertEquals(1e-5, text.get("rms_norm_eps").doubleValue());
        for (String atDefault : List.of("rope_theta", "bos_token_id", "eos_token_id", "hidden_act",
                "max_position_embeddings", "head_dim", "tie_word_embeddings", "attention_bias")) {
            assertFalse(text.has(atDefault), "text_config." + atDefault);
        }
        for (String atDefault : List.of("layer_norm_eps", "hidden_act", "num_channels", "initializer_range")) {
            assertFalse(vision.has(atDefault), "vision_config." + atDefault);
        }
        assertEquals("llava", config.get("model_type").asText());
        assertEquals("LlavaForConditionalGeneration", config.get("architectures").get(0).asText());
        assertEquals(-2, config.get("vision_feature_layer").intValue());
        assertEquals("default", config.get("vision_feature_select_strategy").asText());
        assertEquals(1000, config.get("image_token_index").intValue());
        assertEquals(1001, config.get("pad_token_id").intValue());
    }

    /**
     * The repository's compact form of the golden config (written independently from the HF class defaults)
     * describes the same model; it also keeps projection_dim, which only CLIP's projection head uses and which
     * LLaVA has no tensor for.
     */
    @Test
    void nestedConfigsEqualTheCompactGoldenConfig() throws IOException {
        JsonNode ours = JSON.readTree(demo.resolve("config.json").toFile());
        JsonNode reference = JSON.readTree(goldenModel().resolve("../../../compact-configs/llava-tiny.json")
                .normalize().toFile());
        assertEquals(reference.get("text_config"), ours.get("text_config"));
        ObjectNode referenceVision = reference.get("vision_config").deepCopy();
        referenceVision.remove("projection_dim");
        assertEquals(referenceVision, ours.get("vision_config"));
    }

    @Test
    void sideFilesAreThoseOfLlava15() throws IOException {
        Path golden = goldenModel();
        for (String file : List.of("preprocessor_config.json", "generation_config.json")) {
            assertEquals(JSON.readTree(golden.resolve(file).toFile()), JSON.readTree(demo.resolve(file).toFile()), file);
        }
    }

    @Test
    void weightsLookLikeHuggingFaceInitialisation() {
        try (CheckpointWeights weights = CheckpointWeights.open(demo)) {
            double[] embed = stats(weights.toFloatArray("language_model.model.embed_tokens.weight"));
            assertEquals(0.0, embed[0], 0.0005);
            assertEquals(0.02, embed[1], 0.0005);
            double[] norm = stats(weights.toFloatArray("language_model.model.layers.2.input_layernorm.weight"));
            assertEquals(1.0, norm[0], 0.01);
            assertTrue(norm[1] > 0.005 && norm[1] < 0.05, "norm noise std " + norm[1]);
            double[] bias = stats(weights.toFloatArray("vision_tower.vision_model.encoder.layers.0.mlp.fc1.bias"));
            assertTrue(bias[1] > 0.002 && bias[1] < 0.03, "bias std " + bias[1]);
            for (String name : weights.names()) {
                for (float v : weights.toFloatArray(name)) {
                    assertTrue(Float.isFinite(v) && Math.abs(v) < 2, name + " holds " + v);
                }
            }
        }
    }

    @Test
    void inputIdsHoldOnePlaceholderAmongValidTextIds() {
        long[] ids = DemoCheckpoint.demoInputIds();
        assertEquals(1, ids[0]);
        assertEquals(1, Arrays.stream(ids).filter(id -> id == 1000).count());
        int placeholder = Arrays.stream(ids).boxed().toList().indexOf(1000L);
        assertTrue(placeholder > 1 && placeholder < ids.length - 2, "text on both sides of the image");
        for (int i = 1; i < ids.length; i++) {
            if (i != placeholder) {
                assertTrue(ids[i] > 2 && ids[i] < 1000, "id " + ids[i] + " at " + i);
            }
        }
        assertArrayEquals(ids, DemoCheckpoint.demoInputIds());
    }

    @Test
    void pixelValuesAreAClipNormalisedImage() {
        float[] px = DemoCheckpoint.demoPixelValues();
        assertEquals(3 * 336 * 336, px.length);
        assertArrayEquals(px, DemoCheckpoint.demoPixelValues());
        float[] mean = {0.48145466f, 0.4578275f, 0.40821073f};
        float[] std = {0.26862954f, 0.26130258f, 0.27577711f};
        for (int c = 0; c < 3; c++) {
            float lo = (0f - mean[c]) / std[c];
            float hi = (1f - mean[c]) / std[c];
            float[] channel = Arrays.copyOfRange(px, c * 336 * 336, (c + 1) * 336 * 336);
            for (float value : channel) {
                assertTrue(value >= lo && value <= hi, "channel " + c + " value " + value);
            }
            // A picture, not a constant: every channel varies over much of its range.
            double spread = stats(channel)[1];
            assertTrue(spread > 0.3, "channel " + c + " std " + spread);
        }
        // Top-left corner: gradient colour (0, 0, 255) through the processor's rescale and normalisation.
        assertEquals(((float) (255 / 255.0) - mean[2]) / std[2], px[2 * 336 * 336], 0f);
        assertEquals((0f - mean[0]) / std[0], px[0], 0f);
    }

    /** Shapes of every LlavaForConditionalGeneration tensor, from config.json with HF's defaults where absent. */
    private static Map<String, List<Long>> expectedShapes(JsonNode config) {
        JsonNode v = config.get("vision_config");
        JsonNode t = config.get("text_config");
        long vd = v.path("hidden_size").asLong(768);
        long vi = v.path("intermediate_size").asLong(3072);
        int vl = v.path("num_hidden_layers").asInt(12);
        long patch = v.path("patch_size").asLong(32);
        long grid = v.path("image_size").asLong(224) / patch;
        long td = t.path("hidden_size").asLong(4096);
        long ti = t.path("intermediate_size").asLong(11008);
        int tl = t.path("num_hidden_layers").asInt(32);
        long heads = t.path("num_attention_heads").asLong(32);
        long kv = t.path("num_key_value_heads").asLong(heads) * (td / heads);
        long vocab = t.path("vocab_size").asLong(32000);

        Map<String, List<Long>> shapes = new TreeMap<>();
        String vm = "vision_tower.vision_model.";
        shapes.put(vm + "embeddings.class_embedding", List.of(vd));
        shapes.put(vm + "embeddings.patch_embedding.weight", List.of(vd, 3L, patch, patch));
        shapes.put(vm + "embeddings.position_embedding.weight", List.of(grid * grid + 1, vd));
        for (String ln : List.of("pre_layrnorm", "post_layernorm")) {
            shapes.put(vm + ln + ".weight", List.of(vd));
            shapes.put(vm + ln + ".bias", List.of(vd));
        }
        for (int i = 0; i < vl; i++) {
            String p = vm + "encoder.layers." + i + ".";
            for (String proj : List.of("q_proj", "k_proj", "v_proj", "out_proj")) {
                shapes.put(p + "self_attn." + proj + ".weight", List.of(vd, vd));
                shapes.put(p + "self_attn." + proj + ".bias", List.of(vd));
            }
            for (String ln : List.of("layer_norm1", "layer_norm2")) {
                shapes.put(p + ln + ".weight", List.of(vd));
                shapes.put(p + ln + ".bias", List.of(vd));
            }
            shapes.put(p + "mlp.fc1.weight", List.of(vi, vd));
            shapes.put(p + "mlp.fc1.bias", List.of(vi));
            shapes.put(p + "mlp.fc2.weight", List.of(vd, vi));
            shapes.put(p + "mlp.fc2.bias", List.of(vd));
        }
        shapes.put("multi_modal_projector.linear_1.weight", List.of(td, vd));
        shapes.put("multi_modal_projector.linear_1.bias", List.of(td));
        shapes.put("multi_modal_projector.linear_2.weight", List.of(td, td));
        shapes.put("multi_modal_projector.linear_2.bias", List.of(td));
        String lm = "language_model.model.";
        shapes.put(lm + "embed_tokens.weight", List.of(vocab, td));
        shapes.put(lm + "norm.weight", List.of(td));
        shapes.put("language_model.lm_head.weight", List.of(vocab, td));
        for (int i = 0; i < tl; i++) {
            String p = lm + "layers." + i + ".";
            shapes.put(p + "self_attn.q_proj.weight", List.of(td, td));
            shapes.put(p + "self_attn.k_proj.weight", List.of(kv, td));
            shapes.put(p + "self_attn.v_proj.weight", List.of(kv, td));
            shapes.put(p + "self_attn.o_proj.weight", List.of(td, td));
            shapes.put(p + "mlp.gate_proj.weight", List.of(ti, td));
            shapes.put(p + "mlp.up_proj.weight", List.of(ti, td));
            shapes.put(p + "mlp.down_proj.weight", List.of(td, ti));
            shapes.put(p + "input_layernorm.weight", List.of(td));
            shapes.put(p + "post_attention_layernorm.weight", List.of(td));
        }
        return shapes;
    }

    /** Mean and (population) standard deviation. */
    static double[] stats(float[] values) {
        double sum = 0;
        for (float v : values) {
            sum += v;
        }
        double mean = sum / values.length;
        double squares = 0;
        for (float v : values) {
            squares += (v - mean) * (v - mean);
        }
        return new double[] {mean, Math.sqrt(squares / values.length)};
    }

    static Path goldenModel() {
        for (Path dir = Path.of("").toAbsolutePath(); dir != null; dir = dir.getParent()) {
            Path candidate = dir.resolve("testdata/golden/llava-tiny/model");
            if (Files.isDirectory(candidate)) {
                return candidate;
            }
        }
        throw new IllegalStateException("testdata/golden/llava-tiny not found above " + Path.of("").toAbsolutePath());
    }

    static String sha256(Path file) throws IOException {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(file)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
