package org.vlmscope.golden;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.vlmscope.core.SafetensorsFile;
import org.vlmscope.core.SafetensorsWriter;
import org.vlmscope.core.SafetensorsWriter.NamedTensor;
import org.vlmscope.exporter.ExportOptions;
import org.vlmscope.exporter.Exporter;
import org.vlmscope.runtime.session.Device;
import org.vlmscope.runtime.run.Forward;
import org.vlmscope.runtime.session.ModelSession;

/**
 * Config variants the golden fixtures do not cover, checked by equivalences that hold in Hugging Face's models:
 * tied embeddings against an explicit copy of the embedding as lm_head, and dynamic NTK rope scaling, which
 * leaves sequences within max_position_embeddings untouched and rescales longer ones.
 */
class ArchitectureVariantsTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path tmp;

    @Test
    void tiedEmbeddingsEqualAnExplicitCopyAsLmHead() throws IOException {
        try (GoldenFixture f = GoldenFixture.load("llava-tiny")) {
            String embed = "language_model.model.embed_tokens.weight";
            String head = "language_model.lm_head.weight";
            Path tied = variant(f, "tied", c -> c.with("text_config").put("tie_word_embeddings", true), head, null);
            Path copied = variant(f, "copied", c -> { }, head, embed);
            assertArrayEquals(logits(f, tied, f.inputIds()), logits(f, copied, f.inputIds()));
        }
    }

    @Test
    void dynamicRopeScalingChangesOnlySequencesLongerThanTheLimit() throws IOException {
        try (GoldenFixture f = GoldenFixture.load("llava-tiny")) {
            long[] ids = f.inputIds();
            int limit = ids.length - 10;
            Path dynamic = variant(f, "dynamic", c -> {
                ObjectNode text = c.with("text_config");
                text.put("max_position_embeddings", limit);
                text.putObject("rope_scaling").put("type", "dynamic").put("factor", 2.0);
            }, null, null);
            long[] withinLimit = Arrays.copyOf(ids, limit);
            assertArrayEquals(logits(f, f.checkpoint(), withinLimit), logits(f, dynamic, withinLimit),
                    "at most max_position_embeddings positions: the original frequencies");
            float[] plain = logits(f, f.checkpoint(), ids);
            float[] scaled = logits(f, dynamic, ids);
            assertTrue(Compare.maxAbsDiff(plain, scaled) > 1e-3, "longer sequences use the rescaled base");
        }
    }

    /** The key layout of transformers 4.52 and later (model.language_model..., lm_head...) exports the same graphs. */
    @Test
    void newerKeyLayoutExportsTheSameGraphs() throws IOException {
        try (GoldenFixture f = GoldenFixture.load("llava-tiny")) {
            Path renamed = CheckpointCopies.renamed(f.checkpoint(), tmp.resolve("renamed"), name -> name
                    .replaceFirst("^language_model\\.model\\.", "model.language_model.")
                    .replaceFirst("^language_model\\.lm_head\\.", "lm_head.")
                    .replaceFirst("^vision_tower\\.", "model.vision_tower.")
                    .replaceFirst("^multi_modal_projector\\.", "model.multi_modal_projector."));
            Path classic = Exporter.export(f.checkpoint(), tmp.resolve("classic-export"), ExportOptions.parse("fp32")).modelDir();
            Path newer = Exporter.export(renamed, tmp.resolve("newer-export"), ExportOptions.parse("fp32")).modelDir();
            CheckpointCopies.assertSameGraphs(classic, newer);
        }
    }

    /**
     * A copy of the fixture's checkpoint with its config edited and {@code drop} removed from the tensors, or
     * replaced by a copy of {@code copyFrom} when that is set.
     */
    private Path variant(GoldenFixture f, String name, Consumer<ObjectNode> edit, String drop, String copyFrom)
            throws IOException {
        Path dir = tmp.resolve(name);
        Files.createDirectories(dir);
        ObjectNode config = (ObjectNode) JSON.readTree(f.checkpoint().resolve("config.json").toFile());
        edit.accept(config);
        JSON.writeValue(dir.resolve("config.json").toFile(), config);
        List<NamedTensor> tensors = new ArrayList<>();
        try (SafetensorsFile weights = SafetensorsFile.open(f.checkpoint().resolve("model.safetensors"))) {
            for (var info : weights.tensors()) {
                String source = info.name().equals(drop) ? copyFrom : info.name();
                if (source != null) {
                    tensors.add(new NamedTensor(info.name(), info.dtype(), weights.info(source).shape(),
                            CheckpointCopies.copy(weights.data(source))));
                }
            }
        }
        SafetensorsWriter.writeAll(dir.resolve("model.safetensors"), Map.of(), tensors);
        return dir;
    }

    private float[] logits(GoldenFixture f, Path checkpoint, long[] ids) {
        Path model = Exporter.export(checkpoint, tmp.resolve("export-" + checkpoint.getFileName() + "-" + ids.length),
                ExportOptions.parse("fp32")).modelDir();
        try (ModelSession s = ModelSession.open(model, Device.CPU, List.of())) {
            return Forward.run(s, InterventionsGoldenTest.pixels(f), new long[][] {ids}).get("logits").toFloatArray();
        }
    }
}
