package org.vlmscope.exporter;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.vlmscope.core.ModelManifest;
import org.vlmscope.core.TensorInfo;
import org.vlmscope.core.WeightSource;
import org.vlmscope.graph.Ops;

/** A checkpoint opened by its {@link ExportFamily}: the weights, how to build each graph, what the manifest says. */
interface FamilyCheckpoint extends AutoCloseable {
    /** Builds one graph into {@code ops}'s graph, streaming its weights through {@code weights}. */
    interface GraphBuilder {
        BuiltGraph build(Ops ops, WeightWriter weights);
    }

    /** What a built graph carries beyond its nodes: its hook names in graph order and its metadata facts. */
    record BuiltGraph(List<String> hooks, Map<String, String> metadata) {
    }

    Path dir();

    WeightSource weights();

    /** The checkpoint tensor {@code name}, which must exist with exactly {@code shape} (an error naming both). */
    TensorInfo tensor(String name, long... shape);

    /** The graphs of the model directory by name ({@code core.vocab.GraphNames}), in the order they are written. */
    Map<String, GraphBuilder> graphs();

    /** The manifest of the export: dims, ids, prompt templates, with {@code graphs} and {@code source} given. */
    ModelManifest manifest(ExportOptions options, Map<String, ModelManifest.GraphEntry> graphs,
                           ModelManifest.Source source);

    @Override
    void close();
}
