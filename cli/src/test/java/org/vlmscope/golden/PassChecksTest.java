package org.vlmscope.golden;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Collectors;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;
import org.junit.jupiter.api.io.TempDir;
import org.vlmscope.exporter.ExportOptions;
import org.vlmscope.exporter.Exporter;
import org.vlmscope.graph.GraphException;
import org.vlmscope.graph.OnnxModel;
import org.vlmscope.graph.passes.AttentionBias;
import org.vlmscope.graph.passes.Expose;
import org.vlmscope.graph.passes.Hooks;
import org.vlmscope.graph.passes.LogitLens;
import org.vlmscope.graph.passes.Patch;

/**
 * Passes check what they matched against the model's dimensions and refuse to splice twice, on the exported
 * llava-tiny decoder (4 layers).
 */
class PassChecksTest {
    @TempDir
    static Path tmp;
    static Path decoder;

    @BeforeAll
    static void export() {
        try (GoldenFixture f = GoldenFixture.load("llava-tiny")) {
            decoder = Exporter.export(f.checkpoint(), tmp.resolve("model"), ExportOptions.parse("fp32")).modelDir()
                    .resolve("decoder.onnx");
        }
    }

    private static void fails(Executable e, String expected) {
        GraphException thrown = assertThrows(GraphException.class, e);
        assertTrue(thrown.getMessage().contains(expected), thrown.getMessage());
    }

    @Test
    void applyingAPassTwiceIsAnError() {
        OnnxModel m = OnnxModel.load(decoder);
        new Patch(List.of("blocks.1.hook_resid_mid")).apply(m);
        fails(() -> new Patch(List.of("blocks.1.hook_resid_mid")).apply(m), "already patched");
        new AttentionBias(List.of(2)).apply(m);
        fails(() -> new AttentionBias(List.of(2)).apply(m), "already has a bias");
        new LogitLens(5, List.of()).apply(m);
        fails(() -> new LogitLens(5, List.of()).apply(m), "already has a lens");
        new Expose(List.of("blocks.0.hook_mlp_out")).apply(m);
        fails(() -> new Expose(List.of("blocks.*.hook_mlp_out")).apply(m), "already exposed");
    }

    @Test
    void passesCheckTheLayerCount() {
        OnnxModel m = OnnxModel.load(decoder);
        fails(() -> new AttentionBias(List.of(4)).apply(m), "layer 4 is out of range; the model has layers 0-3");
        // A graph whose hooks do not add up to the model's four layers (here: layer 3's hooks not found).
        String fewer = Arrays.stream(Hooks.of(m).toArray(String[]::new)).filter(h -> !h.startsWith("blocks.3."))
                .collect(Collectors.joining(","));
        m.metadata().put(Hooks.METADATA_KEY, fewer);
        fails(() -> new AttentionBias(List.of(0)).apply(m), "found 3 attention-score hooks for a 4-layer model");
        fails(() -> new LogitLens(5, List.of()).apply(m), "found 4 of the 5 residual-stream hooks");
    }

    @Test
    void aGraphNotWrittenByTheExporterIsNamedAsSuch() {
        OnnxModel m = OnnxModel.load(decoder);
        m.metadata().remove("vlmscope.layers");
        fails(() -> new LogitLens(5, List.of()).apply(m), "was it written by 'vlmscope export'?");
        fails(() -> new Patch(List.of("blocks.9.hook_resid_pre")).apply(m), "unknown hook 'blocks.9.hook_resid_pre'");
    }
}
