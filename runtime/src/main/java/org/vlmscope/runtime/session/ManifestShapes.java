package org.vlmscope.runtime.session;

import java.nio.file.Path;
import java.util.List;
import org.vlmscope.core.ModelManifest;
import org.vlmscope.core.VlmscopeException;
import org.vlmscope.core.vocab.GraphNames;
import org.vlmscope.graph.Graph;
import org.vlmscope.graph.TensorType;
import org.vlmscope.graph.Value;

/**
 * Checks vlmscope.json's dims against the shapes the graphs themselves declare, when a model directory is opened.
 * A run shapes its inputs (the KV cache, the image, patch rows) from the manifest; a manifest edited by hand or
 * copied from another export would otherwise run on wrong shapes, or fail deep inside ONNX Runtime. Only fixed
 * dimensions are compared; symbolic ones (batch, sequence) say nothing.
 */
final class ManifestShapes {
    private final Path manifestFile;
    private final ModelManifest.Dims dims;

    private ManifestShapes(Path manifestFile, ModelManifest.Dims dims) {
        this.manifestFile = manifestFile;
        this.dims = dims;
    }

    /** Checks {@code graph}, the model directory's graph named {@code name} ({@link GraphNames}) read from {@code file}. */
    static void check(Path modelDir, ModelManifest manifest, String name, Graph graph, Path file) {
        new ManifestShapes(modelDir.resolve(ModelManifest.FILE), manifest.dims()).check(name, graph, file);
    }

    private void check(String name, Graph graph, Path file) {
        switch (name) {
            case GraphNames.VISION -> {
                if (dims.visualTokens() > 0) {
                    // A fixed grid (LLaVA): [batch, 3, S, S] -> [batch, visual tokens, d_model].
                    expect(file, input(graph, GraphNames.PIXEL_VALUES), 2, "imageSize", dims.imageSize());
                    expect(file, input(graph, GraphNames.PIXEL_VALUES), 3, "imageSize", dims.imageSize());
                    expect(file, output(graph, GraphNames.IMAGE_FEATURES), 1, "visualTokens", dims.visualTokens());
                    expect(file, output(graph, GraphNames.IMAGE_FEATURES), 2, "dModel", dims.dModel());
                } else {
                    // A grid per image (the manifest's visualTokens is 0): patch rows -> [visual tokens, d_model].
                    expect(file, output(graph, GraphNames.IMAGE_FEATURES), 1, "dModel", dims.dModel());
                }
            }
            case GraphNames.EMBED -> expect(file, output(graph, GraphNames.INPUTS_EMBEDS), 2, "dModel", dims.dModel());
            case GraphNames.DECODER -> {
                expect(file, input(graph, GraphNames.INPUTS_EMBEDS), 2, "dModel", dims.dModel());
                expect(file, output(graph, GraphNames.LOGITS), 2, "vocab", dims.vocab());
                if (graph.value(GraphNames.pastKey(dims.layers() - 1)) == null
                        || graph.value(GraphNames.pastKey(dims.layers())) != null) {
                    int declared = 0;
                    while (declared < graph.inputs().size() && graph.value(GraphNames.pastKey(declared)) != null) {
                        declared++;
                    }
                    throw mismatch(file, "layers", dims.layers(), "KV cache inputs for " + declared + " layers");
                }
                expect(file, input(graph, GraphNames.pastKey(0)), 1, "kvHeads", dims.kvHeads());
                expect(file, input(graph, GraphNames.pastKey(0)), 3, "headDim", dims.headDim());
            }
            default -> {
                // Graphs other than the three a run feeds carry no dims of the manifest.
            }
        }
    }

    private Value input(Graph graph, String name) {
        return find(graph.inputs(), name);
    }

    private Value output(Graph graph, String name) {
        return find(graph.outputs(), name);
    }

    private static Value find(List<Value> values, String name) {
        return values.stream().filter(v -> v.name().equals(name)).findFirst().orElse(null);
    }

    private void expect(Path file, Value value, int axis, String dim, long expected) {
        if (value == null) {
            return; // a graph without this input or output is refused by the run that needs it, by name
        }
        TensorType type = value.type();
        if (type == null || type.rank() <= axis || !type.shape().get(axis).isFixed()) {
            return;
        }
        long declared = type.shape().get(axis).size();
        if (declared != expected) {
            throw mismatch(file, dim, expected, value.name() + " " + type);
        }
    }

    private VlmscopeException mismatch(Path file, String dim, long expected, String declared) {
        return new VlmscopeException(manifestFile + " says dims." + dim + " is " + expected + " but " + file
                + " declares " + declared + ": the manifest and the graphs come from different exports (or the "
                + "manifest was edited); export the model again");
    }
}
