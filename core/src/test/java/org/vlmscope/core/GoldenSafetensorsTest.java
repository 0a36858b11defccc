package org.vlmscope.core;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Path;
import java.util.stream.StreamSupport;
import org.junit.jupiter.api.Test;

/** Files written by Hugging Face's tooling, read back and checked against its manifest. */
class GoldenSafetensorsTest {
    private static final Path TINY = TestData.golden().resolve("llava-tiny");

    private static JsonNode manifest() throws IOException {
        return new ObjectMapper().readTree(TINY.resolve("manifest.json").toFile());
    }

    @Test
    void tinyCheckpointHasTheLlavaLayout() {
        try (CheckpointWeights weights = CheckpointWeights.open(TINY.resolve("model"))) {
            TensorInfo embed = weights.info("language_model.model.embed_tokens.weight");
            assertEquals(DType.F32, embed.dtype());
            assertArrayEquals(new long[] {1024, 64}, embed.shape());
            assertArrayEquals(new long[] {1024, 64}, weights.info("language_model.lm_head.weight").shape());
            // Llama with 4 heads of 16 and 2 kv heads: k_proj maps 64 -> 32.
            assertArrayEquals(new long[] {32, 64},
                    weights.info("language_model.model.layers.3.self_attn.k_proj.weight").shape());
            assertArrayEquals(new long[] {64, 3, 14, 14},
                    weights.info("vision_tower.vision_model.embeddings.patch_embedding.weight").shape());
            // (336/14)^2 patches + CLS.
            assertArrayEquals(new long[] {577, 64},
                    weights.info("vision_tower.vision_model.embeddings.position_embedding.weight").shape());
            long layers = weights.names().stream().filter(n -> n.endsWith(".input_layernorm.weight")).count();
            assertEquals(4, layers);
            assertTrue(weights.contains("multi_modal_projector.linear_2.bias"));
        }
    }

    @Test
    void expectedInputIdsEqualTheManifest() throws IOException {
        JsonNode manifestIds = manifest().get("sequence").get("input_ids");
        long[] fromManifest = StreamSupport.stream(manifestIds.spliterator(), false).mapToLong(JsonNode::asLong)
                .toArray();
        try (SafetensorsFile expected = SafetensorsFile.open(TINY.resolve("expected.safetensors"))) {
            TensorInfo info = expected.info("input_ids");
            assertEquals(DType.I64, info.dtype());
            assertArrayEquals(new long[] {594}, info.shape());
            assertArrayEquals(fromManifest, expected.toLongArray("input_ids"));
            assertEquals("llava-tiny", expected.metadata().get("fixture"));
        }
    }

    @Test
    void floatTensorsAgreeWithTheManifestScalars() throws IOException {
        JsonNode target = manifest().get("target_token");
        try (SafetensorsFile expected = SafetensorsFile.open(TINY.resolve("expected.safetensors"))) {
            float[] logits = expected.toFloatArray("logits");
            int vocab = 1024;
            int last = logits.length / vocab - 1;
            assertEquals(target.get("clean_logit").asDouble(), logits[last * vocab + target.get("id").asInt()], 0.0);

            // The manifest defines the mean vector as the mean of projector.output over all visual tokens.
            float[] projector = expected.toFloatArray("projector.output");
            float[] mean = expected.toFloatArray("ablation.mean_vector");
            int width = mean.length;
            int tokens = projector.length / width;
            for (int d = 0; d < width; d++) {
                double sum = 0;
                for (int t = 0; t < tokens; t++) {
                    sum += projector[t * width + d];
                }
                assertEquals(sum / tokens, mean[d], 1e-5, "dimension " + d);
            }
        }
    }
}
