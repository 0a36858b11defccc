package org.vlmscope.core;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import java.util.Map;

/**
 * {@code vlmscope.json}: what a model directory holds. Written by the exporter, read by the runtime; the
 * graphs' interfaces follow from it (see DESIGN.md, "The model directory").
 */
@JsonIgnoreProperties(ignoreUnknown = true)
public record ModelManifest(
        int format,
        String family,
        String textModelType,
        String dtype,
        boolean graphsOnly,
        Dims dims,
        long imageTokenId,
        Long bosTokenId,
        List<Long> eosTokenIds,
        Long padTokenId,
        Map<String, String> promptTemplates,
        Map<String, GraphEntry> graphs,
        Source source) {

    public static final int FORMAT = 1;
    public static final String FILE = "vlmscope.json";
    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    /** Sizes a run needs to shape its inputs (the KV cache, the image) and to check interventions. */
    @JsonIgnoreProperties(ignoreUnknown = true)
    public record Dims(int layers, int dModel, int heads, int kvHeads, int headDim, int intermediate, int vocab,
                       int visionLayers,
                       int visionDModel, int imageSize, int patchSize, int gridSize, int visualTokens) {
    }

    /** One ONNX graph of the directory and the hook tensors it carries, in graph order. */
    @JsonIgnoreProperties(ignoreUnknown = true)
    public record GraphEntry(String file, List<String> hooks) {
    }

    /**
     * Where the export came from: the checkpoint path, a fingerprint of its config and tensor headers, and where
     * the prompt template came from (the checkpoint's chat_template.json or tokenizer_config.json, or the family
     * default and why).
     */
    @JsonIgnoreProperties(ignoreUnknown = true)
    public record Source(String checkpoint, String fingerprint, String exporterVersion, String promptTemplate) {
        public Source withPromptTemplate(String promptTemplateSource) {
            return new Source(checkpoint, fingerprint, exporterVersion, promptTemplateSource);
        }
    }

    public static ModelManifest read(Path modelDir) {
        Path file = modelDir.resolve(FILE);
        try {
            ModelManifest m = JSON.readValue(file.toFile(), ModelManifest.class);
            if (m.format() != FORMAT) {
                throw new VlmscopeException(file + " has format " + m.format() + "; this vlmscope reads format "
                        + FORMAT + ": export the model again");
            }
            return m;
        } catch (NoSuchFileException | java.io.FileNotFoundException e) {
            throw new VlmscopeException(modelDir + " is not a vlmscope model directory: it has no " + FILE
                    + " (make one with 'vlmscope export')");
        } catch (IOException e) {
            throw new VlmscopeException("cannot read " + file + ": " + e.getMessage(), e);
        }
    }

    public void write(Path modelDir) {
        Path file = modelDir.resolve(FILE);
        try {
            Path tmp = TempFiles.beside(file, ".tmp");
            JSON.writeValue(tmp.toFile(), this);
            Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            throw new VlmscopeException("cannot write " + file + ": " + e.getMessage(), e);
        }
    }

    public GraphEntry graph(String name) {
        GraphEntry g = graphs.get(name);
        if (g == null) {
            throw new VlmscopeException("model manifest lists no '" + name + "' graph; it has " + graphs.keySet());
        }
        return g;
    }
}
