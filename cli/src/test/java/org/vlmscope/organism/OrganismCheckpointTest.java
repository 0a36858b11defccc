package org.vlmscope.organism;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.vlmscope.core.SafetensorsFile;
import org.vlmscope.core.SafetensorsWriter.NamedTensor;
import org.vlmscope.exporter.ExportOptions;
import org.vlmscope.exporter.Exporter;
import org.vlmscope.experiments.scenes.Scene;
import org.vlmscope.experiments.scenes.SceneGenerator;
import org.vlmscope.golden.Compare;
import org.vlmscope.runtime.session.Device;
import org.vlmscope.runtime.run.Forward;
import org.vlmscope.runtime.session.ModelSession;
import org.vlmscope.runtime.image.ClipImageProcessor;
import org.vlmscope.runtime.text.Tokenizer;

/**
 * The shipped model organism means what its trainer meant: exported with the exporter, it reproduces the logits
 * the PyTorch trainer computed for held-out prompts (models/organism/reference-logits.safetensors); the runtime's
 * tokenizer gives the trainer's ids for those prompts and for every text in models/organism/tokenizer-check.json;
 * and the scene generator with the runtime's image processor
 * gives the pixel values the trainer read from the PNG files with PIL.
 */
class OrganismCheckpointTest {
    /** The golden fixtures' fp32 logits tolerance (HF against the exporter). */
    private static final double LOGITS_ATOL = 2e-4;
    private static final int LOGIT_ROWS = 12;

    @TempDir
    Path tmp;

    static Path organismDir() {
        for (Path root : new Path[] {Path.of(".."), Path.of(".")}) {
            Path dir = root.resolve("models/organism").toAbsolutePath().normalize();
            if (Files.isDirectory(dir.resolve("checkpoint"))) {
                return dir;
            }
        }
        throw new IllegalStateException("models/organism/checkpoint not found");
    }

    @Test
    void exportedCheckpointReproducesTheTrainersLogits() throws IOException {
        Path organism = organismDir();
        Path model = tmp.resolve("model");
        Exporter.export(organism.resolve("checkpoint"), model, ExportOptions.parse("fp32"));
        try (SafetensorsFile ref = SafetensorsFile.open(organism.resolve("reference-logits.safetensors"));
             ModelSession session = ModelSession.open(model, Device.CPU, List.of());
             Tokenizer tokenizer = Tokenizer.load(model)) {
            JsonNode prompts = new ObjectMapper().readTree(ref.metadata().get("prompts"));
            int vocab = session.manifest().dims().vocab();
            double worst = 0;
            int compared = 0;
            for (Iterator<Map.Entry<String, JsonNode>> it = prompts.fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> prompt = it.next();
                String key = prompt.getKey();
                String scene = key.substring(0, key.indexOf('.'));
                long[] ids = ref.toLongArray("input_ids." + key);
                assertArrayEquals(ids, tokenizer.encode(prompt.getValue().asText()),
                        "runtime tokenizer ids of " + prompt.getValue());
                float[] pixels = ref.toFloatArray("pixel_values." + scene);
                int side = (int) Math.round(Math.sqrt(pixels.length / 3.0));
                NamedTensor px = NamedTensor.ofFloats("pixel_values", new long[] {1, 3, side, side}, pixels);
                float[] logits = Forward.run(session, px, new long[][] {ids}).get("logits").toFloatArray();
                float[] expected = ref.toFloatArray("logits." + key);
                float[] last = Arrays.copyOfRange(logits, logits.length - LOGIT_ROWS * vocab, logits.length);
                Compare.allClose("logits " + key, expected, last, LOGITS_ATOL, 0);
                worst = Math.max(worst, Compare.maxAbsDiff(expected, last));
                compared++;
            }
            assertEquals(6, compared, "prompts in the reference file");
            System.out.printf("organism: max |logits - trainer| = %.3g over %d prompts (atol %.1g)%n", worst, compared,
                    LOGITS_ATOL);
        }
    }

    /** Every held-out prompt, some descriptions and a multi-turn training conversation, with the trainer's ids. */
    @Test
    void runtimeTokenizerGivesTheTrainersIds() throws IOException {
        Path organism = organismDir();
        JsonNode check = new ObjectMapper().readTree(organism.resolve("tokenizer-check.json").toFile());
        try (Tokenizer tokenizer = Tokenizer.load(organism.resolve("checkpoint"))) {
            for (Iterator<Map.Entry<String, JsonNode>> it = check.fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> entry = it.next();
                long[] expected = new long[entry.getValue().size()];
                for (int i = 0; i < expected.length; i++) {
                    expected[i] = entry.getValue().get(i).asLong();
                }
                assertArrayEquals(expected, tokenizer.encode(entry.getKey()), entry.getKey());
            }
            assertTrue(check.size() >= 20, "texts checked: " + check.size());
        }
    }

    @Test
    void generatedScenesPreprocessToTheTrainersPixels() throws IOException {
        Path organism = organismDir();
        try (SafetensorsFile ref = SafetensorsFile.open(organism.resolve("reference-logits.safetensors"))) {
            JsonNode scenes = new ObjectMapper().readTree(ref.metadata().get("scenes"));
            SceneGenerator generator = new SceneGenerator(Long.parseLong(ref.metadata().get("scene_seed")));
            ClipImageProcessor processor = ClipImageProcessor.fromConfig(
                    organism.resolve("checkpoint/preprocessor_config.json"));
            for (Iterator<Map.Entry<String, JsonNode>> it = scenes.fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> entry = it.next();
                Scene scene = generator.scene(entry.getValue().asInt());
                float[] pixels = processor.process(scene.image());
                // The same arithmetic as PIL and numpy in float32: equal to the last bit.
                assertArrayEquals(ref.toFloatArray("pixel_values." + entry.getKey()), pixels,
                        "pixel values of scene " + scene.id());
            }
        }
    }
}
