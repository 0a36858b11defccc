package org.vlmscope.core;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.vlmscope.core.SafetensorsWriter.NamedTensor;

class CheckpointWeightsTest {

    @TempDir
    Path dir;

    private static NamedTensor floats(String name, float... values) {
        return NamedTensor.ofFloats(name, new long[] {values.length}, values);
    }

    private void writeShards() throws IOException {
        SafetensorsWriter.writeAll(dir.resolve("model-00001-of-00002.safetensors"), Map.of("format", "pt"),
                List.of(floats("model.layers.0.w", 1, 2), floats("model.embed.weight", 3)));
        SafetensorsWriter.writeAll(dir.resolve("model-00002-of-00002.safetensors"), Map.of("format", "pt"),
                List.of(floats("lm_head.weight", 4, 5, 6)));
        Files.writeString(dir.resolve("model.safetensors.index.json"), """
                {"metadata": {"total_size": 24},
                 "weight_map": {
                   "lm_head.weight": "model-00002-of-00002.safetensors",
                   "model.embed.weight": "model-00001-of-00002.safetensors",
                   "model.layers.0.w": "model-00001-of-00002.safetensors"}}
                """);
    }

    @Test
    void shardedIndexServesEveryTensorFromItsShard() throws IOException {
        writeShards();
        try (CheckpointWeights weights = CheckpointWeights.open(dir)) {
            assertEquals(List.of("lm_head.weight", "model.embed.weight", "model.layers.0.w"),
                    List.copyOf(weights.names()));
            assertArrayEquals(new float[] {4, 5, 6}, weights.toFloatArray("lm_head.weight"));
            assertArrayEquals(new float[] {1, 2}, weights.toFloatArray("model.layers.0.w"));
            assertEquals(4, weights.data("model.embed.weight").remaining());
            assertArrayEquals(new long[] {3}, weights.info("lm_head.weight").shape());
            assertTrue(weights.contains("model.embed.weight"));
            assertFalse(weights.contains("model.norm.weight"));
            VlmscopeException e = assertThrows(VlmscopeException.class, () -> weights.info("model.norm.weight"));
            assertTrue(e.getMessage().contains("model.norm.weight"), e.getMessage());
        }
    }

    /** Found by the fuzz test: an index could name a shard outside the checkpoint ("../elsewhere.safetensors"). */
    @Test
    void shardsOutsideTheCheckpointAreRefused() throws IOException {
        writeShards();
        Path outside = dir.resolveSibling(dir.getFileName() + "-outside.safetensors");
        Files.copy(dir.resolve("model-00002-of-00002.safetensors"), outside);
        Path index = dir.resolve("model.safetensors.index.json");
        Files.writeString(index, Files.readString(index).replace("\"model-00002-of-00002.safetensors\"",
                "\"../" + outside.getFileName() + "\""));
        VlmscopeException e = assertThrows(VlmscopeException.class, () -> CheckpointWeights.open(dir));
        assertTrue(e.getMessage().contains("lm_head.weight") && e.getMessage().contains("expected a file name in"),
                e.getMessage());
        Files.delete(outside);
    }

    @Test
    void missingShardIsNamed() throws IOException {
        writeShards();
        Files.delete(dir.resolve("model-00002-of-00002.safetensors"));
        VlmscopeException e = assertThrows(VlmscopeException.class, () -> CheckpointWeights.open(dir));
        assertTrue(e.getMessage().contains("model-00002-of-00002.safetensors"), e.getMessage());
        assertTrue(e.getMessage().contains("does not exist"), e.getMessage());
    }

    @Test
    void indexEntryAbsentFromItsShardIsReportedOnUse() throws IOException {
        writeShards();
        Files.writeString(dir.resolve("model.safetensors.index.json"), """
                {"weight_map": {"ghost": "model-00002-of-00002.safetensors",
                                "lm_head.weight": "model-00002-of-00002.safetensors"}}
                """);
        try (CheckpointWeights weights = CheckpointWeights.open(dir)) {
            assertArrayEquals(new float[] {4, 5, 6}, weights.toFloatArray("lm_head.weight"));
            VlmscopeException e = assertThrows(VlmscopeException.class, () -> weights.data("ghost"));
            assertTrue(e.getMessage().contains("ghost") && e.getMessage().contains("model-00002-of-00002"),
                    e.getMessage());
        }
    }

    @Test
    void withoutIndexEverySafetensorsFileIsUnited() throws IOException {
        writeShards();
        Files.delete(dir.resolve("model.safetensors.index.json"));
        try (CheckpointWeights weights = CheckpointWeights.open(dir)) {
            assertEquals(3, weights.names().size());
            assertArrayEquals(new float[] {3}, weights.toFloatArray("model.embed.weight"));
        }
    }

    @Test
    void duplicateNamesAcrossFilesAreAnError() throws IOException {
        SafetensorsWriter.writeAll(dir.resolve("a.safetensors"), null, List.of(floats("w", 1)));
        SafetensorsWriter.writeAll(dir.resolve("b.safetensors"), null, List.of(floats("w", 2)));
        VlmscopeException e = assertThrows(VlmscopeException.class, () -> CheckpointWeights.open(dir));
        assertTrue(e.getMessage().contains("tensor w is in both a.safetensors and b.safetensors"), e.getMessage());
    }

    @Test
    void modelSafetensorsWinsOverOtherFiles() throws IOException {
        SafetensorsWriter.writeAll(dir.resolve("model.safetensors"), null, List.of(floats("w", 1)));
        SafetensorsWriter.writeAll(dir.resolve("adapter.safetensors"), null, List.of(floats("w", 2)));
        try (CheckpointWeights weights = CheckpointWeights.open(dir)) {
            assertArrayEquals(new float[] {1}, weights.toFloatArray("w"));
        }
    }

    @Test
    void directoryWithoutSafetensors() throws IOException {
        Files.writeString(dir.resolve("config.json"), "{}");
        VlmscopeException e = assertThrows(VlmscopeException.class, () -> CheckpointWeights.open(dir));
        assertEquals("no *.safetensors in " + dir, e.getMessage());
        VlmscopeException notDir = assertThrows(VlmscopeException.class,
                () -> CheckpointWeights.open(dir.resolve("config.json")));
        assertTrue(notDir.getMessage().contains("not a directory"), notDir.getMessage());
    }

    @Test
    void closedCheckpointRefusesReads() throws IOException {
        writeShards();
        CheckpointWeights weights = CheckpointWeights.open(dir);
        weights.close();
        VlmscopeException e = assertThrows(VlmscopeException.class, () -> weights.data("lm_head.weight"));
        assertTrue(e.getMessage().contains("closed"), e.getMessage());
    }
}
