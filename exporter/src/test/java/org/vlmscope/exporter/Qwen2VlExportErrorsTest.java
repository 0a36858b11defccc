package org.vlmscope.exporter;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.vlmscope.core.SafetensorsFile;
import org.vlmscope.core.SafetensorsWriter;
import org.vlmscope.core.SafetensorsWriter.NamedTensor;
import org.vlmscope.core.VlmscopeException;

/**
 * A damaged Qwen2-VL checkpoint is refused with one line naming what is wrong, and no model directory (partial or
 * final) is left behind.
 */
class Qwen2VlExportErrorsTest {
    @TempDir
    Path tmp;

    /** The golden checkpoint without {@code dropped}, its config edited by {@code edit}. */
    private Path damaged(String dropped, java.util.function.Consumer<ObjectNode> edit) throws IOException {
        Path golden = LocatorAgreesWithTheExporterTest.golden("qwen2vl-dev");
        Path dir = Files.createDirectories(tmp.resolve("ckpt"));
        ObjectMapper json = new ObjectMapper();
        ObjectNode config = (ObjectNode) json.readTree(golden.resolve("config.json").toFile());
        edit.accept(config);
        json.writeValue(dir.resolve("config.json").toFile(), config);
        List<NamedTensor> tensors = new ArrayList<>();
        try (SafetensorsFile weights = SafetensorsFile.open(golden.resolve("model.safetensors"))) {
            for (var info : weights.tensors()) {
                if (!info.name().equals(dropped)) {
                    ByteBuffer data = weights.data(info.name());
                    ByteBuffer copy = ByteBuffer.allocate(data.remaining()).order(ByteOrder.LITTLE_ENDIAN);
                    copy.put(data.duplicate()).flip();
                    tensors.add(new NamedTensor(info.name(), info.dtype(), info.shape(), copy));
                }
            }
        }
        SafetensorsWriter.writeAll(dir.resolve("model.safetensors"), Map.of(), tensors);
        return dir;
    }

    private String refused(Path checkpoint, String... fragments) {
        Path out = tmp.resolve("model");
        VlmscopeException e = assertThrows(VlmscopeException.class,
                () -> Exporter.export(checkpoint, out, ExportOptions.parse("fp32")));
        String m = e.getMessage();
        assertFalse(m.contains("\n"), m);
        for (String fragment : fragments) {
            assertTrue(m.contains(fragment), "expected '" + fragment + "' in: " + m);
        }
        assertFalse(Files.exists(out), "no model directory");
        assertFalse(Files.exists(tmp.resolve("model.partial")), "no staging directory");
        return m;
    }

    @Test
    void aMissingTensorIsNamedWithTheShapeExpected() throws IOException {
        refused(damaged("visual.merger.mlp.2.weight", c -> { }),
                "has no tensor 'visual.merger.mlp.2.weight'", "expected shape [64, 192] from config.json");
    }

    @Test
    void aMissingFusedQkvIsNamed() throws IOException {
        refused(damaged("visual.blocks.1.attn.qkv.bias", c -> { }), "has no tensor 'visual.blocks.1.attn.qkv.bias'",
                "[144]");
    }

    @Test
    void anUnknownVisionActivationIsNamedBeforeAnyGraphIsBuilt() throws IOException {
        refused(damaged(null, c -> ((ObjectNode) c.get("vision_config")).put("hidden_act", "gelu_erf")),
                "config.json: vision_config.hidden_act 'gelu_erf' is not an activation vlmscope exports",
                "supported: gelu, gelu_new");
    }

    @Test
    void moreVisionBlocksThanTheWeightsHoldAreRefused() throws IOException {
        refused(damaged(null, c -> ((ObjectNode) c.get("vision_config")).put("depth", 3)),
                "config.json vision_config.depth 3 exceeds the 2 layers", "visual.blocks.0-1");
    }
}
