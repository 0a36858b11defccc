package org.vlmscope.exporter.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.vlmscope.core.VlmscopeException;

/** Defaults per model_type, rope_scaling rules and every user error, on small hand-written configs. */
class HfConfigReaderRulesTest {

    @TempDir
    Path tmp;

    private int dirs;

    private Path checkpoint(String configJson) throws IOException {
        Path dir = Files.createDirectories(tmp.resolve("ckpt" + dirs++));
        Files.writeString(dir.resolve("config.json"), configJson);
        return dir;
    }

    /** A llava config with the given text_config body (after the model_type) and top-level extras. */
    private LlavaConfig llava(String textConfig, String extraTopLevel) throws IOException {
        return HfConfigReader.read(checkpoint(configJson(textConfig, extraTopLevel)));
    }

    private static String configJson(String textConfig, String extraTopLevel) {
        return "{\"architectures\": [\"LlavaForConditionalGeneration\"], \"model_type\": \"llava\""
                + (textConfig == null ? "" : ", \"text_config\": {" + textConfig + "}")
                + (extraTopLevel.isEmpty() ? "" : ", " + extraTopLevel) + "}";
    }

    private VlmscopeException failure(String textConfig, String extraTopLevel) throws IOException {
        Path dir = checkpoint(configJson(textConfig, extraTopLevel));
        VlmscopeException e = assertThrows(VlmscopeException.class, () -> HfConfigReader.read(dir));
        assertTrue(e.getMessage().contains(dir.resolve("config.json").toString()), "names the file: " + e.getMessage());
        return e;
    }

    private static void assertMentions(VlmscopeException e, String... fragments) {
        for (String fragment : fragments) {
            assertTrue(e.getMessage().contains(fragment), "expected '" + fragment + "' in: " + e.getMessage());
        }
    }

    @Test
    void bareLlavaConfigIsLlava15SizedClipWithLlamaDefaults() throws IOException {
        LlavaConfig config = HfConfigReader.read(checkpoint("{\"model_type\": \"llava\"}"));
        assertEquals(List.of(), config.architectures());
        assertEquals(1024, config.vision().hiddenSize());
        assertEquals(14, config.vision().patchSize());
        assertEquals("llama", config.text().modelType());
        assertEquals(32000, config.text().vocabSize());
        assertEquals(32000, config.imageTokenIndex());
        assertEquals(List.of(-2), config.visionFeatureLayers());
        assertNull(config.padTokenId());
    }

    @Test
    void presentVisionConfigFallsBackToClipDefaultsNotLlavaOnes() throws IOException {
        LlavaConfig config = HfConfigReader.read(checkpoint(
                "{\"model_type\": \"llava\", \"vision_config\": {\"hidden_size\": 960}}"));
        // CLIPVisionConfig() is ViT-B/32 at 224: 12 layers, 12 heads, 3072 wide MLP.
        assertEquals(new VisionConfig("clip_vision_model", 960, 3072, 12, 12, 3, 224, 32, 1e-5, "quick_gelu"),
                config.vision());
    }

    @Test
    void textConfigWithoutModelTypeIsLlama() throws IOException {
        TextConfig text = llava("\"hidden_size\": 256, \"num_attention_heads\": 8", "").text();
        assertEquals("llama", text.modelType());
        assertEquals(32, text.headDim());
        assertEquals(8, text.numKvHeads(), "num_key_value_heads defaults to num_attention_heads");
        assertEquals(1e-6, text.rmsNormEps());
        assertNull(text.slidingWindow());
    }

    @Test
    void mistralDefaults() throws IOException {
        TextConfig text = llava("\"model_type\": \"mistral\"", "").text();
        assertEquals(new TextConfig("mistral", 4096, 14336, 32, 32, 8, 128, 32000, 1e-6, 10000.0, null, 131072, null,
                1.0, false, false, false, "silu", 4096, 1, List.of(2), null), text);
        assertNull(llava("\"model_type\": \"mistral\", \"sliding_window\": null", "").text().slidingWindow(),
                "an explicit null switches the window off");
        assertEquals(24, llava("\"model_type\": \"mistral\", \"num_key_value_heads\": null, "
                + "\"num_attention_heads\": 24, \"hidden_size\": 3072", "").text().numKvHeads());
    }

    @Test
    void phi3Defaults() throws IOException {
        TextConfig text = llava("\"model_type\": \"phi3\"", "").text();
        assertEquals(new TextConfig("phi3", 3072, 8192, 32, 32, 32, 96, 32064, 1e-5, 10000.0, null, 4096, 4096, 1.0,
                false, false, false, "silu", null, 1, List.of(32000), 32000), text);
        assertEquals(0.75, llava("\"model_type\": \"phi3\", \"partial_rotary_factor\": 0.75", "")
                .text().partialRotaryFactor());
    }

    @Test
    void explicitHeadDimNeedNotDivideHidden() throws IOException {
        TextConfig text = llava("\"hidden_size\": 5120, \"num_attention_heads\": 32, \"head_dim\": 128, "
                + "\"num_key_value_heads\": 8", "").text();
        assertEquals(128, text.headDim());
    }

    @Test
    void eosMayBeAListAndFeatureLayersToo() throws IOException {
        LlavaConfig config = llava("\"eos_token_id\": [128001, 128009]",
                "\"vision_feature_layer\": [-2, -5, 6], \"image_token_id\": 128256, "
                        + "\"multimodal_projector_bias\": false");
        assertEquals(List.of(128001, 128009), config.text().eosTokenIds());
        assertEquals(List.of(-2, -5, 6), config.visionFeatureLayers());
        assertEquals(128256, config.imageTokenIndex(), "image_token_id is an alias of image_token_index");
        assertFalse(config.projectorBias());
        assertEquals(List.of(), llava("\"eos_token_id\": null", "").text().eosTokenIds());
    }

    @Test
    void ropeScalingTypes() throws IOException {
        RopeScaling linear = llava("\"rope_scaling\": {\"type\": \"linear\", \"factor\": 2.0}", "").text().ropeScaling();
        assertEquals(new RopeScaling("linear", 2.0, Double.NaN, Double.NaN, 2048), linear);

        RopeScaling dynamic = llava("\"rope_scaling\": {\"rope_type\": \"dynamic\", \"factor\": 4}, "
                + "\"max_position_embeddings\": 4096", "").text().ropeScaling();
        assertEquals(new RopeScaling("dynamic", 4.0, Double.NaN, Double.NaN, 4096), dynamic);

        RopeScaling llama3 = llava("\"rope_scaling\": {\"rope_type\": \"llama3\", \"factor\": 8.0, "
                + "\"low_freq_factor\": 1.0, \"high_freq_factor\": 4.0, \"original_max_position_embeddings\": 8192}, "
                + "\"rope_theta\": 500000.0", "").text().ropeScaling();
        assertEquals(new RopeScaling("llama3", 8.0, 1.0, 4.0, 8192), llama3);

        assertNull(llava("\"rope_scaling\": {\"rope_type\": \"default\"}", "").text().ropeScaling());
        RopeScaling both = llava("\"rope_scaling\": {\"type\": \"linear\", \"rope_type\": \"dynamic\", \"factor\": 2.0}",
                "").text().ropeScaling();
        assertEquals("linear", both.type(), "LlamaConfig copies 'type' over 'rope_type'");
        assertNull(llava("\"model_type\": \"mistral\", \"rope_scaling\": {\"type\": \"yarn\", \"factor\": 2.0}", "")
                .text().ropeScaling(), "MistralConfig 4.45 ignores rope_scaling");
    }

    @Test
    void unsupportedRopeScalingNamesTheTypeAndTheSupportedOnes() throws IOException {
        VlmscopeException e = failure("\"rope_scaling\": {\"rope_type\": \"yarn\", \"factor\": 4.0}", "");
        assertMentions(e, "text_config.rope_scaling", "yarn", "default, linear, dynamic, llama3");
        assertMentions(failure("\"rope_scaling\": {\"rope_type\": \"llama3\", \"factor\": 8.0}", ""),
                "llama3 needs low_freq_factor");
        assertMentions(failure("\"rope_scaling\": {\"type\": \"linear\"}", ""), "needs a factor");
        assertMentions(failure("\"rope_scaling\": {\"factor\": 2.0}", ""), "no rope_type");
        assertMentions(failure("\"model_type\": \"phi3\", \"rope_scaling\": {\"type\": \"longrope\", "
                + "\"short_factor\": [1.0], \"long_factor\": [1.0]}", ""), "longrope");
    }

    @Test
    void missingDirectoryOrConfig() throws IOException {
        Path missing = tmp.resolve("nowhere");
        VlmscopeException e = assertThrows(VlmscopeException.class, () -> HfConfigReader.read(missing));
        assertEquals(missing + " has no config.json: expected a Hugging Face checkpoint directory", e.getMessage());
        Path empty = Files.createDirectories(tmp.resolve("empty"));
        e = assertThrows(VlmscopeException.class, () -> HfConfigReader.read(empty));
        assertEquals(empty + " has no config.json: expected a Hugging Face checkpoint directory", e.getMessage());
    }

    @Test
    void malformedJsonNamesTheFileAndTheProblem() throws IOException {
        Path dir = checkpoint("{\"model_type\": \"llava\",, }");
        VlmscopeException e = assertThrows(VlmscopeException.class, () -> HfConfigReader.read(dir));
        assertMentions(e, dir.resolve("config.json").toString(), "not valid JSON", "line 1");
        Path array = checkpoint("[1, 2]");
        assertMentions(assertThrows(VlmscopeException.class, () -> HfConfigReader.read(array)), "JSON object");
    }

    @Test
    void otherArchitecturesAreRefusedWithTheSupportedList() throws IOException {
        Path qwen = checkpoint("{\"architectures\": [\"Qwen2VLForConditionalGeneration\"], \"model_type\": \"qwen2_vl\"}");
        VlmscopeException e = assertThrows(VlmscopeException.class, () -> HfConfigReader.read(qwen));
        assertEquals("unknown architecture Qwen2VLForConditionalGeneration in " + qwen.resolve("config.json")
                + "; supported: LlavaForConditionalGeneration (text: llama, phi3, mistral; vision: clip_vision_model)",
                e.getMessage());
        Path next = checkpoint("{\"architectures\": [\"LlavaNextForConditionalGeneration\"], \"model_type\": \"llava\"}");
        assertMentions(assertThrows(VlmscopeException.class, () -> HfConfigReader.read(next)),
                "unknown architecture LlavaNextForConditionalGeneration");
        Path bare = checkpoint("{\"model_type\": \"llama\"}");
        assertMentions(assertThrows(VlmscopeException.class, () -> HfConfigReader.read(bare)),
                "unknown architecture model_type llama");
    }

    @Test
    void unsupportedSubModelsAreRefused() throws IOException {
        assertMentions(failure("\"model_type\": \"gemma\"", ""), "unknown text model_type gemma",
                "text: llama, phi3, mistral");
        assertMentions(failure(null, "\"vision_config\": {\"model_type\": \"siglip_vision_model\"}"),
                "unknown vision model_type siglip_vision_model", "vision: clip_vision_model");
    }

    @Test
    void inconsistentSizesAreRefused() throws IOException {
        assertMentions(failure("\"hidden_size\": 100, \"num_attention_heads\": 8", ""),
                "text_config.hidden_size 100 is not divisible by num_attention_heads 8");
        assertMentions(failure("\"num_attention_heads\": 32, \"num_key_value_heads\": 5", ""),
                "num_attention_heads 32 is not divisible by num_key_value_heads 5");
        assertMentions(failure("\"num_hidden_layers\": 0", ""), "text_config.num_hidden_layers must be positive");
        assertMentions(failure("\"vocab_size\": -3", ""), "text_config.vocab_size must be positive");
        assertMentions(failure(null, "\"vision_config\": {\"hidden_size\": 100, \"num_attention_heads\": 16}"),
                "vision_config.hidden_size 100 is not divisible by num_attention_heads 16");
        assertMentions(failure("\"hidden_size\": \"4096\"", ""), "text_config.hidden_size must be an integer");
        assertMentions(failure("\"rms_norm_eps\": 0", ""), "text_config.rms_norm_eps must be a positive number");
    }

    @Test
    void visionFeatureChoicesAreChecked() throws IOException {
        assertMentions(failure(null, "\"vision_feature_select_strategy\": \"cls\""),
                "vision_feature_select_strategy must be 'default' or 'full'");
        // The default tower has 24 layers, so 25 hidden states: indices -25..24.
        assertMentions(failure(null, "\"vision_feature_layer\": 25"), "vision_feature_layer 25 is out of range");
        assertEquals(List.of(-25), llava(null, "\"vision_feature_layer\": -25").visionFeatureLayers());
        assertMentions(failure(null, "\"vision_feature_layer\": []"), "vision_feature_layer must be an integer");
    }
}
