package org.vlmscope.models;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.vlmscope.core.CheckpointWeights;
import org.vlmscope.core.DType;
import org.vlmscope.core.SafetensorsFile;
import org.vlmscope.core.TensorInfo;

class RandomCheckpointTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final long TARGET = 20_000_000;
    private static final long SHARD_LIMIT = 8_000_000;

    @TempDir
    Path dir;

    @Test
    void shardsAndIndexAreThoseSavePretrainedWrites() throws IOException {
        long written = RandomCheckpoint.write(dir, TARGET, DType.BF16, SHARD_LIMIT);
        assertTrue(written >= TARGET, written + " bytes");

        JsonNode index = JSON.readTree(dir.resolve("model.safetensors.index.json").toFile());
        assertEquals(written, index.get("metadata").get("total_size").longValue());
        TreeMap<String, String> weightMap = new TreeMap<>();
        index.get("weight_map").fields().forEachRemaining(e -> weightMap.put(e.getKey(), e.getValue().asText()));

        List<Path> shards;
        try (Stream<Path> files = Files.list(dir)) {
            shards = files.filter(f -> f.getFileName().toString().endsWith(".safetensors")).sorted().toList();
        }
        assertTrue(shards.size() >= 3, shards.size() + " shards");
        Set<String> inShards = new HashSet<>();
        long dataBytes = 0;
        for (int s = 0; s < shards.size(); s++) {
            String name = shards.get(s).getFileName().toString();
            assertEquals(String.format("model-%05d-of-%05d.safetensors", s + 1, shards.size()), name);
            try (SafetensorsFile shard = SafetensorsFile.open(shards.get(s))) {
                assertEquals("pt", shard.metadata().get("format"));
                long shardData = 0;
                for (TensorInfo t : shard.tensors()) {
                    assertEquals(name, weightMap.get(t.name()), t.name());
                    assertTrue(inShards.add(t.name()), t.name() + " in two shards");
                    assertEquals(DType.BF16, t.dtype());
                    shardData += t.byteLength();
                }
                // max_shard_size bounds a shard's tensor data, as in transformers.
                assertTrue(shardData <= SHARD_LIMIT, name + " holds " + shardData + " bytes of tensors");
                dataBytes += shardData;
            }
        }
        assertEquals(weightMap.keySet(), inShards);
        assertEquals(written, dataBytes);

        // The config's dimensions account for every byte: a LLaVA model of these sizes has exactly this many weights.
        JsonNode config = JSON.readTree(dir.resolve("config.json").toFile());
        assertEquals("bfloat16", config.get("torch_dtype").asText());
        assertEquals(written, 2 * parameters(config));
        try (CheckpointWeights weights = CheckpointWeights.open(dir)) {
            assertEquals(weightMap.keySet(), weights.names());
        }
    }

    @ParameterizedTest
    @EnumSource(value = DType.class, names = {"BF16", "F16", "F32"})
    void valuesAreFiniteAndOfModerateMagnitude(DType dtype) throws IOException {
        Path first = dir.resolve("first");
        RandomCheckpoint.write(first, 4_000_000, dtype, Long.MAX_VALUE);
        assertFalse(Files.exists(first.resolve("model.safetensors.index.json")), "one shard needs no index");
        try (CheckpointWeights weights = CheckpointWeights.open(first)) {
            for (String name : List.of("language_model.model.layers.0.mlp.down_proj.weight",
                    "vision_tower.vision_model.embeddings.class_embedding")) {
                assertEquals(dtype, weights.info(name).dtype());
                float[] values = weights.toFloatArray(name);
                Set<Float> distinct = new TreeSet<>();
                int negative = 0;
                for (float v : values) {
                    float a = Math.abs(v);
                    assertTrue(a >= 0x1p-8f && a < 0x1p-4f, name + " holds " + v);
                    distinct.add(v);
                    negative += v < 0 ? 1 : 0;
                }
                assertTrue(distinct.size() > values.length / 8 || distinct.size() > 500, distinct.size() + " values");
                assertEquals(0.5, negative / (double) values.length, 0.1, "share of negative values");
            }
        }
        Path second = dir.resolve("second");
        RandomCheckpoint.write(second, 4_000_000, dtype, Long.MAX_VALUE);
        assertEquals(DemoCheckpointTest.sha256(first.resolve("model.safetensors")),
                DemoCheckpointTest.sha256(second.resolve("model.safetensors")), "same bytes on a second write");
    }

    @Test
    void twoGigabytesGetClipLargeAndATinyLlamaWideStack() {
        long target = 2_000_000_000L;
        LlavaShape shape = RandomCheckpoint.shapeFor(target, DType.BF16);
        assertEquals(new LlavaShape.Vision(1024, 4096, 24, 16, 336, 14), shape.vision());
        assertEquals(2048, shape.text().hidden());
        long bytes = shape.tensors(DType.BF16).stream().mapToLong(s -> s.byteLength()).sum();
        assertTrue(bytes >= target, bytes + " bytes");
        LlavaShape oneLess = new LlavaShape(shape.vision(), new LlavaShape.Text(shape.text().hidden(),
                shape.text().intermediate(), shape.text().layers() - 1, shape.text().heads(), shape.text().kvHeads(),
                shape.text().vocab(), shape.text().maxPositions(), shape.text().rmsNormEps()), shape.imageTokenIndex(),
                shape.padTokenId());
        assertTrue(oneLess.tensors(DType.BF16).stream().mapToLong(s -> s.byteLength()).sum() < target,
                "no more layers than needed");
    }

    /** The small benchmark shape of issue 12: its config says what the issue says, and accounts for every byte. */
    @Test
    void theSmallBenchmarkShape() throws IOException {
        long written = RandomCheckpoint.writeNamed(dir, "small", DType.BF16);
        JsonNode config = JSON.readTree(dir.resolve("config.json").toFile());
        JsonNode vision = config.get("vision_config");
        JsonNode text = config.get("text_config");
        assertEquals(List.of(192, 768, 12, 3, 336, 14), List.of(vision.get("hidden_size").asInt(),
                vision.get("intermediate_size").asInt(), vision.path("num_hidden_layers").asInt(12 /* CLIP's default, omitted */),
                vision.get("num_attention_heads").asInt(), vision.get("image_size").asInt(), vision.get("patch_size").asInt()));
        assertEquals(List.of(256, 704, 8, 4, 2, 32064), List.of(text.get("hidden_size").asInt(),
                text.get("intermediate_size").asInt(), text.get("num_hidden_layers").asInt(),
                text.get("num_attention_heads").asInt(), text.get("num_key_value_heads").asInt(),
                text.get("vocab_size").asInt()));
        assertFalse(config.get("tie_word_embeddings").asBoolean());
        // By hand: CLIP tower 5,563,008 (embeddings and pre-norm 224,256, 12 layers of 444,864, post-norm 384), projector 115,200,
        // Llama 22,319,360 (embed and lm_head 8,208,384 each, 8 layers of 737,792, final norm 256).
        assertEquals(2L * (5_563_008 + 115_200 + 22_319_360), written);
        assertThrows(org.vlmscope.core.VlmscopeException.class, () -> RandomCheckpoint.writeNamed(dir, "huge", DType.BF16));
    }

    /** Parameter count of LlavaForConditionalGeneration (CLIP tower, biased 2-layer projector, Llama) from config. */
    private static long parameters(JsonNode config) {
        JsonNode v = config.get("vision_config");
        JsonNode t = config.get("text_config");
        long d = v.get("hidden_size").asLong();
        long i = v.get("intermediate_size").asLong();
        long patch = v.get("patch_size").asLong();
        long grid = v.get("image_size").asLong() / patch;
        long vision = d + d * 3 * patch * patch + (grid * grid + 1) * d + 2 * 2 * d
                + v.get("num_hidden_layers").asLong() * (4 * (d * d + d) + 2 * 2 * d + (i * d + i) + (d * i + d));
        long h = t.get("hidden_size").asLong();
        long f = t.get("intermediate_size").asLong();
        long kv = t.get("num_key_value_heads").asLong() * (h / t.get("num_attention_heads").asLong());
        long vocab = t.get("vocab_size").asLong();
        long projector = (h * d + h) + (h * h + h);
        long text = 2 * vocab * h + h + t.get("num_hidden_layers").asLong() * (2 * h * h + 2 * kv * h + 3 * f * h + 2 * h);
        return vision + projector + text;
    }
}
