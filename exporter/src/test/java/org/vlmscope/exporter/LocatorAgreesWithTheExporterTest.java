package org.vlmscope.exporter;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.io.TempDir;
import org.vlmscope.core.vocab.HookName;
import org.vlmscope.graph.Graph;
import org.vlmscope.graph.OnnxModel;
import org.vlmscope.graph.Value;
import org.vlmscope.graph.locate.HookLocator;
import org.vlmscope.graph.locate.Location;
import org.vlmscope.graph.passes.Hooks;

/**
 * The exporter names every hook tensor, so its own decoder graph, with those names hidden and its metadata
 * dropped, is a graph of known answer for the locator: every hook it finds must be the tensor the exporter gave
 * that name, or the tensor that the exporter's hook copies (an Identity: the locator names the original). fp16
 * exports add the casts around float32 norms and softmax.
 */
class LocatorAgreesWithTheExporterTest {
    @TempDir
    Path tmp;

    @ParameterizedTest(name = "{0} {1}")
    @CsvSource({"llava-tiny, fp32", "llava-tiny, fp16", "qwen2vl-dev, fp32", "qwen2vl-dev, fp16"})
    void locatedHooksAreTheExporters(String fixture, String dtype) {
        Exporter.Result export = Exporter.export(golden(fixture), tmp.resolve(dtype), ExportOptions.parse(dtype));
        Path model = export.modelDir();
        int layers = export.manifest().dims().layers();
        OnnxModel m = OnnxModel.load(model.resolve("decoder.onnx"));
        Graph g = m.graph();
        List<String> hooks = Hooks.of(m);
        // Hide the exporter's names: each hook tensor gets a neutral one; remember which hook (and copy) it was.
        Map<String, String> hookOf = new HashMap<>();
        int n = 0;
        for (String hook : hooks) {
            Value v = g.require(hook);
            if (!g.isGraphOutput(v)) {
                g.rename(v, "t" + n++);
            }
            hookOf.put(v.name(), hook);
        }
        Map<String, String> copiedBy = new HashMap<>();
        for (String hook : hooks) {
            Value v = g.require(renamed(hookOf, hook));
            if (v.producer() != null && v.producer().opType().equals("Identity")) {
                copiedBy.put(v.producer().input(0).name(), hook);
            }
        }
        m.metadata().keySet().removeIf(k -> k.startsWith("vlmscope."));

        Location location = HookLocator.locate(m);
        assertEquals(layers, location.layers());
        assertEquals(64L, location.dModel());
        for (Map.Entry<String, String> e : location.tensors().entrySet()) {
            String found = e.getValue();
            assertTrue(e.getKey().equals(hookOf.get(found)) || e.getKey().equals(copiedBy.get(found)),
                    "tensor '" + found + "' located as " + e.getKey() + " is the exporter's " + hookOf.get(found)
                            + (copiedBy.containsKey(found) ? ", copied as " + copiedBy.get(found) : ""));
        }
        for (int i = 0; i < layers; i++) {
            for (String hook : List.of(HookName.residPre(i), HookName.residMid(i), HookName.residPost(i),
                    HookName.attnScores(i), HookName.pattern(i), HookName.attnOut(i), HookName.mlpOut(i),
                    HookName.ln1Normalized(i), HookName.ln2Normalized(i))) {
                assertTrue(location.tensors().containsKey(hook), hook);
            }
        }
        assertTrue(location.tensors().containsKey(HookName.LN_FINAL));
        assertTrue(location.tensors().containsKey(HookName.LOGITS));
        assertEquals("ln_final.w", m.metadata().get("vlmscope.final_norm_weight"));
        assertEquals(dtype, m.metadata().get("vlmscope.compute_type"));
    }

    private static String renamed(Map<String, String> hookOf, String hook) {
        return hookOf.entrySet().stream().filter(e -> e.getValue().equals(hook)).findFirst().orElseThrow().getKey();
    }

    static Path golden(String fixture) {
        for (Path dir = Path.of("").toAbsolutePath(); dir != null; dir = dir.getParent()) {
            Path candidate = dir.resolve("testdata/golden/" + fixture + "/model");
            if (Files.isDirectory(candidate)) {
                return candidate;
            }
        }
        throw new IllegalStateException("testdata/golden/" + fixture + " not found");
    }
}
