package org.vlmscope.core;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
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
        Source source,
        Qwen2Vl qwen2vl) {

    public static final int FORMAT = 1;
    public static final String FILE = "vlmscope.json";
    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT)
            .enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION)
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);

    /**
     * Sizes a run needs to shape its inputs (the KV cache, the image) and to check interventions.
     * {@code contextLength} is the language model's {@code max_position_embeddings}, the longest sequence (prompt
     * plus generated tokens) it was built for; null in manifests written before it was recorded.
     */
    @JsonIgnoreProperties(ignoreUnknown = true)
    public record Dims(int layers, int dModel, int heads, int kvHeads, int headDim, int intermediate, int vocab,
                       int visionLayers,
                       int visionDModel, int imageSize, int patchSize, int gridSize, int visualTokens,
                       Integer contextLength) {

        /** Dims without a known context length. */
        public Dims(int layers, int dModel, int heads, int kvHeads, int headDim, int intermediate, int vocab,
                    int visionLayers, int visionDModel, int imageSize, int patchSize, int gridSize, int visualTokens) {
            this(layers, dModel, heads, kvHeads, headDim, intermediate, vocab, visionLayers, visionDModel, imageSize,
                    patchSize, gridSize, visualTokens, null);
        }
    }

    /**
     * What a Qwen2-VL run needs beyond the dims (null for LLaVA): the tokens that frame an image in the prompt, the
     * side of the square of patches merged into one visual token, the frames per patch, and how the rotary
     * frequency pairs of a head are split over the temporal, height and width position ids (HF's
     * {@code rope_scaling.mrope_section}; the three sum to {@code dims.headDim / 2}).
     */
    @JsonIgnoreProperties(ignoreUnknown = true)
    public record Qwen2Vl(long visionStartTokenId, long visionEndTokenId, int spatialMergeSize, int temporalPatchSize,
                          List<Integer> mropeSection) {
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

    /**
     * Reads and validates {@code modelDir/vlmscope.json} ({@link ManifestCheck}); every failure is one message
     * naming the directory or file and what was expected.
     */
    public static ModelManifest read(Path modelDir) {
        if (Files.isRegularFile(modelDir)) {
            throw new VlmscopeException(modelDir + " is a file, not a directory: expected a model directory "
                    + "written by 'vlmscope export'");
        }
        if (!Files.isDirectory(modelDir)) {
            throw new VlmscopeException("model directory " + modelDir + " does not exist");
        }
        Path file = modelDir.resolve(FILE);
        JsonNode root;
        try {
            root = JSON.readTree(Files.readAllBytes(file));
        } catch (NoSuchFileException e) {
            throw new VlmscopeException(modelDir + " is not a vlmscope model directory: it has no " + FILE
                    + " (make one with 'vlmscope export')");
        } catch (JsonProcessingException e) {
            throw JsonErrors.notJson(file, e);
        } catch (IOException e) {
            throw new VlmscopeException("cannot read " + file + ": " + e.getMessage(), e);
        }
        ManifestCheck.check(file, root);
        try {
            return JSON.treeToValue(root, ModelManifest.class);
        } catch (JsonProcessingException e) {
            // ManifestCheck has checked every field's type; a failure here is a bug, not a bad file.
            throw new IllegalStateException(file + " passed validation but does not bind: " + e.getMessage(), e);
        }
    }

    public void write(Path modelDir) {
        Path file = modelDir.resolve(FILE);
        try {
            TempFiles.replace(file, JSON.writeValueAsBytes(this));
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
