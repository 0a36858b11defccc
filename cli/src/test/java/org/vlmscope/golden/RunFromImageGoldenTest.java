package org.vlmscope.golden;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.vlmscope.cli.Cli;
import org.vlmscope.core.SafetensorsFile;
import org.vlmscope.core.SafetensorsWriter;
import org.vlmscope.core.SafetensorsWriter.NamedTensor;

/**
 * The image path end to end through the command line: the fixture's image.png decoded and preprocessed by
 * {@code vlmscope run --image} (with the export's copy of the checkpoint's preprocessor_config.json), the fixture's
 * input_ids alone in the {@code --inputs} file, and Hugging Face's logits and residual stream out of the cache.
 * The fixtures have no tokenizer, so the ids come prepared; the text path is tested on the demo model.
 */
class RunFromImageGoldenTest {
    @TempDir
    static Path shared;
    static final Map<String, Path> MODELS = new HashMap<>();

    @TempDir
    Path tmp;

    @BeforeAll
    static void export() {
        for (String name : List.of("llava-tiny", "llava-phi3-dev")) {
            try (GoldenFixture f = GoldenFixture.load(name)) {
                Path model = shared.resolve(name);
                Cli.ok("export", f.checkpoint().toString(), "-o", model.toString());
                MODELS.put(name, model);
            }
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"llava-tiny", "llava-phi3-dev"})
    void imageFileAndIdsReproduceLogitsAndResidualStream(String name) {
        try (GoldenFixture f = GoldenFixture.load(name)) {
            long[] ids = f.inputIds();
            int seq = ids.length;
            Path in = tmp.resolve("ids.safetensors");
            SafetensorsWriter.writeAll(in, Map.of(), List.of(NamedTensor.ofLongs("input_ids", new long[] {1, seq}, ids)));
            Path image = f.dir.resolve(f.manifest.path("files").path("image").asText());
            Path cache = tmp.resolve("cache.safetensors");
            Cli.Result r = Cli.ok("run", MODELS.get(name).toString(), "--image", image.toString(), "--inputs",
                    in.toString(), "--cache", cache.toString(), "--hooks", "blocks.*.hook_resid_post", "--device", "cpu");
            JsonNode sequence = f.manifest.path("sequence");
            int start = sequence.path("visual_start").asInt();
            int end = sequence.path("visual_end_exclusive").asInt();
            assertTrue(r.out().contains("input: " + seq + " positions, visual tokens " + start + "-" + (end - 1)
                    + " from " + image), r::toString);
            // --inputs generates nothing unless asked: the fixtures have no tokenizer to decode an answer with.
            assertFalse(r.out().contains("new tokens"), r::toString);

            try (SafetensorsFile c = SafetensorsFile.open(cache)) {
                int vocab = f.manifest.path("vocab_size").asInt();
                int d = f.manifest.path("hidden_size").asInt();
                assertArrayEquals(new long[] {1, seq, vocab}, c.info("logits").shape());
                Compare.allClose(name + " logits", f.floats("logits"), c.toFloatArray("logits"), f.atol("logits"),
                        f.rtol("logits"));
                float[] layers = f.floats("lm.layer_outputs");
                for (int i = 0; i < f.manifest.path("num_layers").asInt(); i++) {
                    String hook = "blocks." + i + ".hook_resid_post";
                    Compare.allClose(name + " " + hook, Compare.rows(layers, i * seq, (i + 1) * seq, d),
                            c.toFloatArray(hook), f.atol("hidden_states"), f.rtol("hidden_states"));
                }
                Map<String, String> meta = c.metadata();
                assertEquals(image.toAbsolutePath().normalize().toString(), meta.get("image"));
                assertEquals(in.toAbsolutePath().normalize().toString(), meta.get("inputs"));
                assertEquals(Integer.toString(seq), meta.get("sequence_length"));
                assertEquals(Integer.toString(start), meta.get("visual_start"));
                assertEquals(sequence.path("num_visual_tokens").asText(), meta.get("visual_tokens"));
                assertFalse(meta.containsKey("answer_ids"));
            }
        }
    }
}
