package org.vlmscope.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * vlmscope.json is validated on load (fuzzing findings: missing keys ended in NullPointerException or
 * NegativeArraySizeException traces; negative or absurd dims, dtype "fp64", an unknown family or an
 * out-of-vocabulary BOS id ran with exit code 0; a wrongly typed value showed Jackson's Java types).
 */
class ModelManifestCheckTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path dir;

    /** The tiny golden model's manifest, as the exporter writes it. */
    static ModelManifest valid() {
        var dims = new ModelManifest.Dims(4, 64, 4, 2, 16, 128, 512, 2, 32, 336, 14, 24, 576, 2048);
        Map<String, ModelManifest.GraphEntry> graphs = new java.util.LinkedHashMap<>();
        graphs.put("vision", new ModelManifest.GraphEntry("vision.onnx", List.of("vision.hook_embed")));
        graphs.put("embed", new ModelManifest.GraphEntry("embed.onnx", List.of("hook_embed")));
        graphs.put("decoder", new ModelManifest.GraphEntry("decoder.onnx", List.of("blocks.0.hook_resid_pre")));
        return new ModelManifest(ModelManifest.FORMAT, "llava", "llama", "fp32", false, dims, 32000L, 1L, List.of(2L),
                null, Map.of("llava-1.5", "USER: <image>\n{prompt} ASSISTANT:"), graphs,
                new ModelManifest.Source("/ckpt", "sha256:00", "0.1.0", "family default"), null);
    }

    /** The qwen2vl-dev golden model's manifest: no fixed grid, the Qwen2-VL facts in their own object. */
    static ModelManifest validQwen2Vl() {
        var dims = new ModelManifest.Dims(3, 64, 4, 2, 16, 112, 1250, 2, 48, 0, 14, 0, 0, 32768);
        ModelManifest llava = valid();
        return new ModelManifest(ModelManifest.FORMAT, "qwen2_vl", "qwen2", "fp32", false, dims, 1244L, 1240L,
                List.of(1241L), 1249L, Map.of(), llava.graphs(), llava.source(),
                new ModelManifest.Qwen2Vl(1242L, 1243L, 2, 2, List.of(2, 3, 3)));
    }

    @BeforeEach
    void writeValid() {
        valid().write(dir);
    }

    private void edit(Consumer<ObjectNode> change) throws IOException {
        Path file = dir.resolve(ModelManifest.FILE);
        ObjectNode root = (ObjectNode) JSON.readTree(file.toFile());
        change.accept(root);
        Files.writeString(file, root.toString());
    }

    private String refused(String... fragments) {
        VlmscopeException e = assertThrows(VlmscopeException.class, () -> ModelManifest.read(dir));
        String m = e.getMessage();
        assertFalse(m.contains("\n"), m);
        assertFalse(m.contains("java."), "no Java types in the message: " + m);
        assertFalse(m.contains("Source:"), "no parser internals in the message: " + m);
        for (String fragment : fragments) {
            assertTrue(m.contains(fragment), "expected '" + fragment + "' in: " + m);
        }
        return m;
    }

    private static ObjectNode dims(ObjectNode root) {
        return (ObjectNode) root.get("dims");
    }

    @Test
    void aValidManifestReadsBack() {
        assertEquals(valid(), ModelManifest.read(dir));
    }

    @Test
    void missingKeysAreNamed() throws IOException {
        edit(r -> r.remove("dims"));
        refused(ModelManifest.FILE, "dims missing", "expected an object");
        writeValid();
        edit(r -> dims(r).remove("vocab"));
        refused("dims.vocab missing");
        writeValid();
        edit(r -> ((ObjectNode) r.get("graphs")).remove("decoder"));
        refused("graphs.decoder missing");
        writeValid();
        edit(r -> r.remove("dtype"));
        refused("dtype missing", "fp16, fp32");
    }

    @Test
    void negativeOrAbsurdDimsAreRefused() throws IOException {
        edit(r -> dims(r).put("dModel", -64));
        refused("dims.dModel is -64", "1..65536");
        writeValid();
        edit(r -> dims(r).put("layers", 1_000_000_000));
        refused("dims.layers is 1000000000", "1..1024");
        writeValid();
        edit(r -> dims(r).put("heads", 0));
        refused("dims.heads is 0");
        writeValid();
        edit(r -> dims(r).put("heads", 3));
        refused("dims.heads 3 is not a multiple of dims.kvHeads 2");
        writeValid();
        edit(r -> dims(r).put("visualTokens", 577 * 2));
        refused("dims.visualTokens 1154");
        writeValid();
        edit(r -> dims(r).put("contextLength", 0));
        refused("dims.contextLength is 0");
        writeValid();
        edit(r -> dims(r).remove("contextLength"));
        org.junit.jupiter.api.Assertions.assertNull(ModelManifest.read(dir).dims().contextLength(),
                "manifests written before the context length was recorded still read");
    }

    @Test
    void unknownDtypeAndFamilyAreRefused() throws IOException {
        edit(r -> r.put("dtype", "fp64"));
        refused("dtype is \"fp64\"", "expected one of fp16, fp32");
        writeValid();
        edit(r -> r.put("family", "qwen9"));
        refused("family is \"qwen9\"", "llava");
    }

    @Test
    void aQwen2VlManifestWithoutAFixedGridReadsBack() {
        validQwen2Vl().write(dir);
        assertEquals(validQwen2Vl(), ModelManifest.read(dir));
    }

    @Test
    void onlyQwen2VlMayHaveNoFixedGrid() throws IOException {
        for (String key : List.of("imageSize", "gridSize", "visualTokens")) {
            writeValid();
            edit(r -> dims(r).put(key, 0));
            refused("dims." + key + " is 0", "1..");
        }
        validQwen2Vl().write(dir);
        edit(r -> dims(r).put("gridSize", 24));
        refused("dims.gridSize is 24", "expected 0 for family qwen2_vl");
    }

    @Test
    void theQwen2VlObjectBelongsToQwen2VlAndIsChecked() throws IOException {
        validQwen2Vl().write(dir);
        edit(r -> r.remove("qwen2vl"));
        refused("qwen2vl missing", "expected an object");
        writeValid();
        edit(r -> r.putPOJO("qwen2vl", validQwen2Vl().qwen2vl()));
        refused("qwen2vl is {", "only family qwen2_vl");
        validQwen2Vl().write(dir);
        edit(r -> ((ObjectNode) r.get("qwen2vl")).put("visionEndTokenId", 1250));
        refused("qwen2vl.visionEndTokenId is 1250", "0..1249");
        validQwen2Vl().write(dir);
        edit(r -> ((ObjectNode) r.get("qwen2vl")).put("spatialMergeSize", 0));
        refused("qwen2vl.spatialMergeSize is 0");
        validQwen2Vl().write(dir);
        // head dim 16 has 8 rotary frequency pairs; [2, 3, 4] would split 9
        edit(r -> ((ObjectNode) r.get("qwen2vl")).putArray("mropeSection").add(2).add(3).add(4));
        refused("qwen2vl.mropeSection is [2,3,4]", "sum to dims.headDim / 2 = 8");
        validQwen2Vl().write(dir);
        edit(r -> ((ObjectNode) r.get("qwen2vl")).putArray("mropeSection").add(4).add(4));
        refused("qwen2vl.mropeSection is [4,4]", "3 non-negative integers");
    }

    @Test
    void tokenIdsOutsideTheVocabularyAreRefused() throws IOException {
        edit(r -> r.put("bosTokenId", 512));
        refused("bosTokenId is 512", "0..511");
        writeValid();
        edit(r -> r.putArray("eosTokenIds").add(2).add(-1));
        refused("eosTokenIds is -1");
    }

    @Test
    void wronglyTypedValuesAreDescribedWithoutJavaTypes() throws IOException {
        edit(r -> r.put("eosTokenIds", "two"));
        refused("eosTokenIds is \"two\"", "expected a list of token ids");
        writeValid();
        edit(r -> dims(r).put("layers", "4"));
        refused("dims.layers is \"4\"");
    }

    @Test
    void graphFilesMustStayInsideTheModelDirectory() throws IOException {
        edit(r -> ((ObjectNode) r.get("graphs").get("vision")).put("file", "../elsewhere/vision.onnx"));
        refused("graphs.vision.file", "a file name inside the model directory");
    }

    @Test
    void brokenJsonIsOneLineWithItsPosition() throws IOException {
        Path file = dir.resolve(ModelManifest.FILE);
        String text = Files.readString(file);
        Files.writeString(file, text.substring(0, text.length() / 2));
        refused(file.toString(), "is not valid JSON", "line ");
    }

    /** Fuzzing finding: a file given as MODEL_DIR was reported as "does not exist". */
    @Test
    void aFileGivenAsTheModelDirectoryIsSaidToBeAFile() throws IOException {
        Path file = Files.writeString(dir.resolve("model.txt"), "x");
        VlmscopeException e = assertThrows(VlmscopeException.class, () -> ModelManifest.read(file));
        assertTrue(e.getMessage().contains(file + " is a file, not a directory"), e.getMessage());
        e = assertThrows(VlmscopeException.class, () -> ModelManifest.read(dir.resolve("absent")));
        assertTrue(e.getMessage().contains("does not exist"), e.getMessage());
    }
}
