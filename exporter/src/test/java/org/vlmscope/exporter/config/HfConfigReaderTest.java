package org.vlmscope.exporter.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Golden configs (full dumps by transformers 4.45.1, and a real compact one) and their compact forms. */
class HfConfigReaderTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path tmp;

    private static Path goldenModel(String fixture) {
        return GoldenPaths.repoGolden().resolve(fixture).resolve("model");
    }

    private static JsonNode readJson(Path file) throws IOException {
        return JSON.readTree(file.toFile());
    }

    private Path writeConfig(String name, JsonNode config) throws IOException {
        Path dir = Files.createDirectories(tmp.resolve(name));
        JSON.writerWithDefaultPrettyPrinter().writeValue(dir.resolve("config.json").toFile(), config);
        return dir;
    }

    private static List<Integer> ints(JsonNode node) {
        List<Integer> values = new ArrayList<>();
        if (node.isArray()) {
            node.forEach(element -> values.add(element.asInt()));
        } else {
            values.add(node.asInt());
        }
        return values;
    }

    /** Every field a full dump spells out must come through unchanged. */
    private static void assertMatchesFullDump(JsonNode json, LlavaConfig config) {
        assertEquals(List.of("LlavaForConditionalGeneration"), config.architectures());
        assertEquals(json.get("image_token_index").asInt(), config.imageTokenIndex());
        assertEquals(json.get("projector_hidden_act").asText(), config.projectorHiddenAct());
        assertEquals(ints(json.get("vision_feature_layer")), config.visionFeatureLayers());
        assertEquals(json.get("vision_feature_select_strategy").asText(), config.visionFeatureSelectStrategy());
        assertEquals(json.get("image_seq_length").asInt(), config.imageSeqLength());
        assertEquals(json.get("pad_token_id").asInt(), config.padTokenId());
        assertTrue(config.projectorBias(), "4.45 has no multimodal_projector_bias: the projector always has biases");

        JsonNode v = json.get("vision_config");
        VisionConfig vision = config.vision();
        assertEquals(v.get("model_type").asText(), vision.modelType());
        assertEquals(v.get("hidden_size").asInt(), vision.hiddenSize());
        assertEquals(v.get("intermediate_size").asInt(), vision.intermediateSize());
        assertEquals(v.get("num_hidden_layers").asInt(), vision.numLayers());
        assertEquals(v.get("num_attention_heads").asInt(), vision.numHeads());
        assertEquals(v.get("num_channels").asInt(), vision.numChannels());
        assertEquals(v.get("image_size").asInt(), vision.imageSize());
        assertEquals(v.get("patch_size").asInt(), vision.patchSize());
        assertEquals(v.get("layer_norm_eps").asDouble(), vision.layerNormEps());
        assertEquals(v.get("hidden_act").asText(), vision.hiddenAct());

        JsonNode t = json.get("text_config");
        TextConfig text = config.text();
        assertEquals(t.get("model_type").asText(), text.modelType());
        assertEquals(t.get("hidden_size").asInt(), text.hiddenSize());
        assertEquals(t.get("intermediate_size").asInt(), text.intermediateSize());
        assertEquals(t.get("num_hidden_layers").asInt(), text.numLayers());
        assertEquals(t.get("num_attention_heads").asInt(), text.numHeads());
        assertEquals(t.get("num_key_value_heads").asInt(), text.numKvHeads());
        int expectedHeadDim = t.has("head_dim") ? t.get("head_dim").asInt()
                : t.get("hidden_size").asInt() / t.get("num_attention_heads").asInt();
        assertEquals(expectedHeadDim, text.headDim());
        assertEquals(t.get("vocab_size").asInt(), text.vocabSize());
        assertEquals(t.get("rms_norm_eps").asDouble(), text.rmsNormEps());
        assertEquals(t.get("rope_theta").asDouble(), text.ropeTheta());
        assertTrue(t.get("rope_scaling").isNull());
        assertNull(text.ropeScaling());
        assertEquals(t.get("max_position_embeddings").asInt(), text.maxPositionEmbeddings());
        assertEquals(t.get("tie_word_embeddings").asBoolean(), text.tieWordEmbeddings());
        assertEquals(t.path("attention_bias").asBoolean(false), text.attentionBias());
        assertEquals(t.path("mlp_bias").asBoolean(false), text.mlpBias());
        assertEquals(t.get("hidden_act").asText(), text.hiddenAct());
        assertEquals(t.get("bos_token_id").asInt(), text.bosTokenId());
        assertEquals(ints(t.get("eos_token_id")), text.eosTokenIds());
        assertEquals(t.get("pad_token_id").asInt(), text.padTokenId());
        assertEquals(1.0, text.partialRotaryFactor());
    }

    @Test
    void tinyLlamaFullDumpParses() throws IOException {
        Path dir = goldenModel("llava-tiny");
        LlavaConfig config = HfConfigReader.read(dir);
        assertMatchesFullDump(readJson(dir.resolve("config.json")), config);
        // Fixture README: Llama 64 wide, 4 layers, 4 heads / 2 kv heads, vocab 1024.
        assertEquals(new TextConfig("llama", 64, 128, 4, 4, 2, 16, 1024, 1e-5, 10000.0, null, 2048, null, 1.0,
                false, false, false, "silu", null, 1, List.of(2), 1001), config.text());
        assertEquals(new VisionConfig("clip_vision_model", 64, 128, 3, 4, 3, 336, 14, 1e-5, "quick_gelu"),
                config.vision());
    }

    @Test
    void phi3FullDumpParses() throws IOException {
        Path dir = goldenModel("llava-phi3-dev");
        JsonNode json = readJson(dir.resolve("config.json"));
        LlavaConfig config = HfConfigReader.read(dir);
        assertMatchesFullDump(json, config);
        TextConfig text = config.text();
        assertEquals(json.at("/text_config/sliding_window").asInt(), text.slidingWindow());
        assertEquals(json.at("/text_config/original_max_position_embeddings").asInt(),
                text.originalMaxPositionEmbeddings());
        assertFalse(text.attentionBias());
        assertEquals(16, text.headDim(), "64 wide over 4 heads");
    }

    @Test
    void compactFormsParseToTheSameConfig() throws IOException {
        for (String fixture : List.of("llava-tiny", "llava-phi3-dev")) {
            Path fullDir = goldenModel(fixture);
            ObjectNode compact = HfDefaults.compact(readJson(fullDir.resolve("config.json")));
            // The compaction must have removed something from every level, or the test proves little.
            assertFalse(compact.has("image_seq_length"), fixture);
            assertFalse(compact.get("text_config").has("rope_theta"), fixture);
            assertFalse(compact.get("vision_config").has("num_channels"), fixture);
            Path compactDir = writeConfig(fixture + "-compact", compact);
            assertEquals(HfConfigReader.read(fullDir), HfConfigReader.read(compactDir), fixture);
        }
    }

    @Test
    void defaultSubConfigsDisappearWhenCompactedAndComeBack() throws IOException {
        ObjectNode full = (ObjectNode) readJson(goldenModel("llava-tiny").resolve("config.json"));
        full.set("vision_config", HfDefaults.LLAVA_DEFAULT_VISION.deepCopy());
        full.set("text_config", HfDefaults.LLAMA.deepCopy());
        ObjectNode compact = HfDefaults.compact(full);
        assertFalse(compact.has("vision_config"));
        assertFalse(compact.has("text_config"));

        LlavaConfig fromFull = HfConfigReader.read(writeConfig("full", full));
        LlavaConfig fromCompact = HfConfigReader.read(writeConfig("compact", compact));
        assertEquals(fromFull, fromCompact);
        assertEquals(new VisionConfig("clip_vision_model", 1024, 4096, 24, 16, 3, 336, 14, 1e-5, "quick_gelu"),
                fromCompact.vision());
        // LlamaConfig(): 7B sizes, MHA, head_dim 4096/32, rms_norm_eps 1e-6, eos 2, no pad.
        assertEquals(new TextConfig("llama", 4096, 11008, 32, 32, 32, 128, 32000, 1e-6, 10000.0, null, 2048, null,
                1.0, false, false, false, "silu", null, 1, List.of(2), null), fromCompact.text());
    }

    /**
     * The real llava-hf/llava-1.5-7b-hf config.json. Expected values: the file's own entries, and for
     * what it omits, LlamaConfig / CLIPVisionConfig / LlavaConfig defaults.
     */
    @Test
    void realCompactLlava15Config() throws IOException {
        Path dir = GoldenPaths.sharedGolden().resolve("tokenizer-llama");
        assumeTrue(Files.isRegularFile(dir.resolve("config.json")),
                "shared fixtures not present at " + dir + "; skipping the real llava-1.5-7b-hf config");
        JsonNode json = readJson(dir.resolve("config.json"));
        LlavaConfig config = HfConfigReader.read(dir);

        TextConfig text = config.text();
        assertEquals(json.at("/text_config/vocab_size").asInt(), text.vocabSize());
        assertEquals(32064, text.vocabSize());
        assertEquals(4096, text.hiddenSize());
        assertEquals(11008, text.intermediateSize());
        assertEquals(32, text.numLayers());
        assertEquals(32, text.numHeads());
        assertEquals(32, text.numKvHeads());
        assertEquals(128, text.headDim());
        assertEquals(1e-5, text.rmsNormEps(), "the file overrides LlamaConfig's 1e-6");
        assertEquals(4096, text.maxPositionEmbeddings());
        assertEquals(10000.0, text.ropeTheta());
        assertNull(text.ropeScaling());
        assertFalse(text.tieWordEmbeddings());
        assertEquals(List.of(2), text.eosTokenIds());
        assertEquals(1, text.bosTokenId());
        assertNull(text.padTokenId(), "text_config has no pad_token_id; LlamaConfig's default is None");

        assertEquals(32000, config.imageTokenIndex());
        assertEquals(32001, config.padTokenId());
        assertEquals(List.of(-2), config.visionFeatureLayers());
        assertEquals("default", config.visionFeatureSelectStrategy());
        assertEquals("gelu", config.projectorHiddenAct());
        assertEquals(576, config.imageSeqLength());
        assertTrue(config.projectorBias());

        VisionConfig vision = config.vision();
        assertEquals(1024, vision.hiddenSize());
        assertEquals(4096, vision.intermediateSize());
        assertEquals(24, vision.numLayers());
        assertEquals(16, vision.numHeads());
        assertEquals(14, vision.patchSize());
        assertEquals(336, vision.imageSize());
        assertEquals(3, vision.numChannels());
        assertEquals(1e-5, vision.layerNormEps());
        assertEquals("quick_gelu", vision.hiddenAct());
        // (336 / 14)^2 patches is the 576 visual tokens LLaVA-1.5 uses.
        assertEquals(config.imageSeqLength(), (vision.imageSize() / vision.patchSize())
                * (vision.imageSize() / vision.patchSize()));
    }
}
