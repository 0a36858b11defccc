package org.vlmscope.exporter.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.vlmscope.core.VlmscopeException;

/**
 * The qwen2vl-dev golden config (transformers 4.45.1's dump), its compact form, the 4.52 nesting of the text fields,
 * Qwen2VLConfig's defaults and every refusal, one line each naming the file and key.
 */
class Qwen2VlConfigReaderTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path tmp;

    private int dirs;

    private static Path golden() {
        return GoldenPaths.repoGolden().resolve("qwen2vl-dev").resolve("model");
    }

    private static ObjectNode goldenJson() throws IOException {
        return (ObjectNode) JSON.readTree(golden().resolve("config.json").toFile());
    }

    private Path write(JsonNode config) throws IOException {
        Path dir = Files.createDirectories(tmp.resolve("ckpt" + dirs++));
        JSON.writeValue(dir.resolve("config.json").toFile(), config);
        return dir;
    }

    private Path edited(Consumer<ObjectNode> edit) throws IOException {
        ObjectNode config = goldenJson();
        edit.accept(config);
        return write(config);
    }

    private static String refused(Path dir, String... fragments) {
        VlmscopeException e = assertThrows(VlmscopeException.class, () -> Qwen2VlConfigReader.read(dir));
        String m = e.getMessage();
        assertFalse(m.contains("\n"), m);
        assertTrue(m.contains(dir.resolve("config.json").toString()), "names the file: " + m);
        for (String fragment : fragments) {
            assertTrue(m.contains(fragment), "expected '" + fragment + "' in: " + m);
        }
        return m;
    }

    @Test
    void theFullDumpComesThroughUnchanged() throws IOException {
        JsonNode json = goldenJson();
        Qwen2VlConfig c = Qwen2VlConfigReader.read(golden());
        TextConfig t = c.text();
        assertEquals(List.of("Qwen2VLForConditionalGeneration"), c.architectures());
        assertEquals(json.get("hidden_size").asInt(), t.hiddenSize());
        assertEquals(json.get("intermediate_size").asInt(), t.intermediateSize());
        assertEquals(json.get("num_hidden_layers").asInt(), t.numLayers());
        assertEquals(json.get("num_attention_heads").asInt(), t.numHeads());
        assertEquals(json.get("num_key_value_heads").asInt(), t.numKvHeads());
        assertEquals(json.get("hidden_size").asInt() / json.get("num_attention_heads").asInt(), t.headDim());
        assertEquals(json.get("vocab_size").asInt(), t.vocabSize());
        assertEquals(json.get("rms_norm_eps").asDouble(), t.rmsNormEps());
        assertEquals(json.get("rope_theta").asDouble(), t.ropeTheta());
        assertEquals(json.get("max_position_embeddings").asInt(), t.maxPositionEmbeddings());
        assertEquals(json.get("sliding_window").asInt(), t.slidingWindow());
        assertEquals(json.get("tie_word_embeddings").asBoolean(), t.tieWordEmbeddings());
        assertEquals(json.get("hidden_act").asText(), t.hiddenAct());
        assertEquals(json.get("bos_token_id").asInt(), t.bosTokenId());
        assertEquals(List.of(json.get("eos_token_id").asInt()), t.eosTokenIds());
        assertEquals(json.get("pad_token_id").asInt(), t.padTokenId());
        assertEquals(json.get("image_token_id").asInt(), c.imageTokenId());
        assertEquals(json.get("vision_start_token_id").asInt(), c.visionStartTokenId());
        assertEquals(json.get("vision_end_token_id").asInt(), c.visionEndTokenId());
        assertEquals(List.of(2, 3, 3), c.mropeSection());
        JsonNode v = json.get("vision_config");
        assertEquals(new Qwen2VlVisionConfig(v.get("depth").asInt(), v.get("embed_dim").asInt(),
                v.get("hidden_size").asInt(), "quick_gelu", v.get("mlp_ratio").asDouble(), v.get("num_heads").asInt(),
                3, 14, 2, 2), c.vision());
        assertEquals(96, c.vision().mlpHiddenDim(), "int(embed_dim * mlp_ratio)");
        assertEquals(3 * 2 * 14 * 14, c.vision().patchValues());
    }

    @Test
    void theCompactConfigReadsAsTheFullDump() throws IOException {
        Path compact = Files.createDirectories(tmp.resolve("compact"));
        Files.copy(GoldenPaths.repoGolden().resolve("../compact-configs/qwen2vl-dev.json").normalize(),
                compact.resolve("config.json"));
        assertEquals(Qwen2VlConfigReader.read(golden()), Qwen2VlConfigReader.read(compact));
    }

    /** transformers 4.52 and later nest the language model's fields in text_config. */
    @Test
    void textFieldsNestedInTextConfigReadTheSame() throws IOException {
        ObjectNode config = goldenJson();
        ObjectNode text = config.putObject("text_config");
        for (String key : List.of("hidden_size", "intermediate_size", "num_hidden_layers", "num_attention_heads",
                "num_key_value_heads", "vocab_size", "rms_norm_eps", "rope_scaling", "rope_theta", "sliding_window",
                "max_position_embeddings", "hidden_act")) {
            text.set(key, config.remove(key));
        }
        assertEquals(Qwen2VlConfigReader.read(golden()), Qwen2VlConfigReader.read(write(config)));
    }

    /** Qwen2VLConfig's and Qwen2VLVisionConfig's 4.45 defaults, on a language model as wide as the default merger. */
    @Test
    void absentFieldsTakeTheTransformers445Defaults() throws IOException {
        ObjectNode config = JSON.createObjectNode().put("model_type", "qwen2_vl").put("hidden_size", 3584)
                .put("num_attention_heads", 56).put("image_token_id", 151655).put("vision_start_token_id", 151652)
                .put("vision_end_token_id", 151653);
        config.putObject("rope_scaling").put("type", "mrope").putArray("mrope_section").add(8).add(12).add(12);
        Qwen2VlConfig c = Qwen2VlConfigReader.read(write(config));
        assertEquals(new Qwen2VlVisionConfig(32, 1280, 3584, "quick_gelu", 4, 16, 3, 14, 2, 2), c.vision());
        TextConfig t = c.text();
        assertEquals(List.of(29568, 80, 8, 152064, 32768, 4096), List.of(t.intermediateSize(), t.numLayers(),
                t.numKvHeads(), t.vocabSize(), t.maxPositionEmbeddings(), t.slidingWindow()));
        assertEquals(1e-5, t.rmsNormEps());
        assertEquals(1_000_000.0, t.ropeTheta());
        assertEquals("silu", t.hiddenAct());
        assertFalse(t.tieWordEmbeddings());
        assertTrue(t.attentionBias(), "Qwen2's q/k/v projections have biases");
        assertEquals(List.of(), t.eosTokenIds());
    }

    @Test
    void anUnknownVisionActivationIsNamed() throws IOException {
        refused(edited(c -> ((ObjectNode) c.get("vision_config")).put("hidden_act", "swiglu")),
                "vision_config.hidden_act 'swiglu'", "supported: gelu");
        refused(edited(c -> c.put("hidden_act", "mish")), "hidden_act 'mish'", "quick_gelu");
    }

    @Test
    void theMultimodalRotaryMustCoverEveryFrequencyPair() throws IOException {
        refused(edited(c -> c.remove("rope_scaling")), "rope_scaling is missing", "sum to head_dim / 2 = 8");
        refused(edited(c -> ((ObjectNode) c.get("rope_scaling")).remove("mrope_section")), "mrope_section is missing");
        refused(edited(c -> ((ObjectNode) c.get("rope_scaling")).putArray("mrope_section").add(2).add(3).add(4)),
                "rope_scaling.mrope_section must be 3 non-negative integers", "[2,3,4]");
        refused(edited(c -> ((ObjectNode) c.get("rope_scaling")).put("type", "linear").put("factor", 2.0)),
                "type linear is not supported for qwen2_vl", "default, mrope");
    }

    @Test
    void inconsistentSizesAndMissingTokenIdsAreRefused() throws IOException {
        refused(edited(c -> c.remove("vision_start_token_id")), "vision_start_token_id is missing",
                "<|vision_start|>");
        refused(edited(c -> ((ObjectNode) c.get("vision_config")).put("hidden_size", 32)),
                "vision_config.hidden_size 32 differs from the language model's hidden_size 64");
        refused(edited(c -> ((ObjectNode) c.get("vision_config")).put("num_heads", 8)),
                "vision_config.embed_dim 48 / num_heads 8", "divisible by 4");
        refused(edited(c -> c.put("num_key_value_heads", 3)), "num_attention_heads 4 is not divisible by "
                + "num_key_value_heads 3");
        refused(edited(c -> c.put("model_type", "qwen2_5_vl")), "unknown architecture", "Qwen2VLForConditionalGeneration");
    }
}
