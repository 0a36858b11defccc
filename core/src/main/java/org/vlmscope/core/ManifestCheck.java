package org.vlmscope.core;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Validates a {@code vlmscope.json} tree before it becomes a {@link ModelManifest}: every key a run reads is present
 * with the right JSON type, and every value is one an export can write. A hand-edited or damaged manifest is refused
 * here, naming the key and what was expected, instead of failing later with a null pointer, a negative array size,
 * or running with exit code 0 on nonsense. The graphs' own shapes are compared with the dims where the graphs are
 * opened (runtime), since this module does not read ONNX.
 */
final class ManifestCheck {
    static final String LLAVA = "llava";
    static final String QWEN2_VL = "qwen2_vl";
    static final Set<String> FAMILIES = Set.of(LLAVA, QWEN2_VL);
    /**
     * The dims that describe a fixed image grid. A Qwen2-VL image's grid and token count depend on the image, so its
     * manifest holds 0 there; LLaVA's are the fixed grid every image is resized to.
     */
    private static final Set<String> FIXED_GRID_DIMS = Set.of("imageSize", "gridSize", "visualTokens");
    static final Set<String> DTYPES = Set.of("fp32", "fp16");
    static final List<String> GRAPHS = List.of("vision", "embed", "decoder");
    /**
     * Upper bounds far beyond any published model (LLaVA-NeXT-110B has 80 layers, d_model 8192, vocab 152064) and
     * small enough that sizes derived from them (a KV cache row, an image) cannot overflow an int.
     */
    private static final Map<String, Integer> DIM_LIMITS = Map.ofEntries(
            Map.entry("layers", 1024), Map.entry("dModel", 65536), Map.entry("heads", 1024),
            Map.entry("kvHeads", 1024), Map.entry("headDim", 4096), Map.entry("intermediate", 1 << 20),
            Map.entry("vocab", 1 << 22), Map.entry("visionLayers", 1024), Map.entry("visionDModel", 65536),
            Map.entry("imageSize", 8192), Map.entry("patchSize", 8192), Map.entry("gridSize", 8192),
            Map.entry("visualTokens", 1 << 20));

    private final Path file;

    private ManifestCheck(Path file) {
        this.file = file;
    }

    static void check(Path file, JsonNode root) {
        new ManifestCheck(file).root(root);
    }

    private void root(JsonNode root) {
        if (root == null || !root.isObject()) {
            throw new VlmscopeException(file + " must hold a JSON object (a model manifest written by "
                    + "'vlmscope export')");
        }
        int format = integer(root, "format", 0, Integer.MAX_VALUE);
        if (format != ModelManifest.FORMAT) {
            throw new VlmscopeException(file + " has format " + format + "; this vlmscope reads format "
                    + ModelManifest.FORMAT + ": export the model again");
        }
        String family = oneOf(root, "family", FAMILIES);
        boolean qwen2vl = family.equals(QWEN2_VL);
        text(root, "textModelType");
        oneOf(root, "dtype", DTYPES);
        bool(root, "graphsOnly");
        JsonNode dims = object(root, "dims");
        for (String key : DIM_LIMITS.keySet()) {
            if (qwen2vl && FIXED_GRID_DIMS.contains(key)) {
                JsonNode value = dims.get(key);
                if (value == null || !value.isIntegralNumber() || value.longValue() != 0) {
                    throw wrong("dims." + key, value, "0 for family qwen2_vl (its grid and visual token count "
                            + "depend on the image)");
                }
            } else {
                integer(dims, "dims." + key, key, 1, DIM_LIMITS.get(key));
            }
        }
        headsAgree(dims);
        if (!qwen2vl) {
            gridAgrees(dims);
        }
        JsonNode context = dims.get("contextLength");
        if (context != null && !context.isNull()) {
            integer(dims, "dims.contextLength", "contextLength", 1, 1 << 24);
        }
        long vocab = dims.get("vocab").asLong();
        integer(root, "imageTokenId", 0, Long.MAX_VALUE);
        qwen2vl(root, qwen2vl, vocab, dims.get("headDim").asLong());
        tokenOrNull(root, "bosTokenId", vocab);
        JsonNode eos = root.get("eosTokenIds");
        if (eos != null && !eos.isNull()) {
            if (!eos.isArray()) {
                throw wrong("eosTokenIds", eos, "a list of token ids");
            }
            for (JsonNode id : eos) {
                tokenId("eosTokenIds", id, vocab);
            }
        }
        JsonNode pad = root.get("padTokenId");
        if (pad != null && !pad.isNull() && !pad.canConvertToLong()) {
            throw wrong("padTokenId", pad, "an integer or null");
        }
        JsonNode templates = object(root, "promptTemplates");
        templates.fields().forEachRemaining(e -> {
            if (!e.getValue().isTextual()) {
                throw wrong("promptTemplates." + e.getKey(), e.getValue(), "a string");
            }
        });
        JsonNode graphs = object(root, "graphs");
        for (String name : GRAPHS) {
            graph(graphs, name);
        }
        graphs.fieldNames().forEachRemaining(name -> graph(graphs, name));
        JsonNode source = root.get("source");
        if (source != null && !source.isNull()) {
            if (!source.isObject()) {
                throw wrong("source", source, "an object");
            }
            for (String key : List.of("checkpoint", "fingerprint", "exporterVersion", "promptTemplate")) {
                JsonNode value = source.get(key);
                if (value != null && !value.isNull() && !value.isTextual()) {
                    throw wrong("source." + key, value, "a string");
                }
            }
        }
    }

    /** What the exporter derives from the others must agree with them. */
    private void headsAgree(JsonNode dims) {
        long heads = dims.get("heads").asLong();
        long kvHeads = dims.get("kvHeads").asLong();
        if (heads % kvHeads != 0) {
            throw new VlmscopeException(file + ": dims.heads " + heads + " is not a multiple of dims.kvHeads "
                    + kvHeads);
        }
    }

    /** A fixed grid: the image is gridSize patches wide, and the visual tokens are its cells (plus CLS). */
    private void gridAgrees(JsonNode dims) {
        long image = dims.get("imageSize").asLong();
        long patch = dims.get("patchSize").asLong();
        long grid = dims.get("gridSize").asLong();
        if (grid != image / patch) {
            throw new VlmscopeException(file + ": dims.gridSize " + grid + " is not dims.imageSize " + image
                    + " / dims.patchSize " + patch);
        }
        long visual = dims.get("visualTokens").asLong();
        if (visual != grid * grid && visual != grid * grid + 1) {
            throw new VlmscopeException(file + ": dims.visualTokens " + visual + " is neither gridSize^2 ("
                    + grid * grid + ") nor gridSize^2 + 1");
        }
    }

    /**
     * The {@code qwen2vl} object: present for family qwen2_vl only, its token ids in the vocabulary, its mrope
     * sections covering the rotary frequency pairs of a head exactly (the decoder splits them by it).
     */
    private void qwen2vl(JsonNode root, boolean required, long vocab, long headDim) {
        JsonNode node = root.get("qwen2vl");
        boolean present = node != null && !node.isNull();
        if (!required) {
            if (present) {
                throw wrong("qwen2vl", node, "null (only family qwen2_vl has a qwen2vl object)");
            }
            return;
        }
        JsonNode q = object(root, "qwen2vl");
        tokenId("qwen2vl.visionStartTokenId", q.get("visionStartTokenId"), vocab);
        tokenId("qwen2vl.visionEndTokenId", q.get("visionEndTokenId"), vocab);
        integer(q, "qwen2vl.spatialMergeSize", "spatialMergeSize", 1, 64);
        integer(q, "qwen2vl.temporalPatchSize", "temporalPatchSize", 1, 64);
        JsonNode sections = q.get("mropeSection");
        String expected = "3 non-negative integers (temporal, height, width) that sum to dims.headDim / 2 = "
                + headDim / 2;
        if (sections == null || !sections.isArray() || sections.size() != 3) {
            throw wrong("qwen2vl.mropeSection", sections, expected);
        }
        long sum = 0;
        for (JsonNode section : sections) {
            if (!section.isIntegralNumber() || !section.canConvertToInt() || section.intValue() < 0) {
                throw wrong("qwen2vl.mropeSection", sections, expected);
            }
            sum += section.intValue();
        }
        if (sum * 2 != headDim) {
            throw wrong("qwen2vl.mropeSection", sections, expected);
        }
    }

    private void graph(JsonNode graphs, String name) {
        String where = "graphs." + name;
        JsonNode entry = object(graphs, name, where);
        String fileName = text(entry, "file", where + ".file");
        if (fileName.isEmpty() || fileName.contains("/") || fileName.contains("\\") || fileName.startsWith(".")) {
            throw wrong(where + ".file", entry.get("file"), "a file name inside the model directory");
        }
        JsonNode hooks = entry.get("hooks");
        if (hooks == null || !hooks.isArray()) {
            throw wrong(where + ".hooks", hooks, "a list of hook names");
        }
        for (JsonNode hook : hooks) {
            if (!hook.isTextual()) {
                throw wrong(where + ".hooks", hook, "a list of hook names");
            }
        }
    }

    private VlmscopeException wrong(String key, JsonNode found, String expected) {
        String shown = found == null ? "missing" : found.isMissingNode() ? "missing" : "is " + abbreviate(found);
        return new VlmscopeException(file + ": " + key + " " + shown + ": expected " + expected
                + " (a manifest written by 'vlmscope export'; export the model again)");
    }

    private static String abbreviate(JsonNode node) {
        String text = node.toString();
        return text.length() > 60 ? text.substring(0, 60) + "..." : text;
    }

    private JsonNode object(JsonNode parent, String key) {
        return object(parent, key, key);
    }

    private JsonNode object(JsonNode parent, String key, String where) {
        JsonNode node = parent.get(key);
        if (node == null || !node.isObject()) {
            throw wrong(where, node, "an object");
        }
        return node;
    }

    private String text(JsonNode parent, String key) {
        return text(parent, key, key);
    }

    private String text(JsonNode parent, String key, String where) {
        JsonNode node = parent.get(key);
        if (node == null || !node.isTextual()) {
            throw wrong(where, node, "a string");
        }
        return node.textValue();
    }

    private String oneOf(JsonNode parent, String key, Set<String> allowed) {
        JsonNode node = parent.get(key);
        if (node == null || !node.isTextual() || !allowed.contains(node.textValue())) {
            throw wrong(key, node, "one of " + String.join(", ", allowed.stream().sorted().toList()));
        }
        return node.textValue();
    }

    private void bool(JsonNode parent, String key) {
        JsonNode node = parent.get(key);
        if (node == null || !node.isBoolean()) {
            throw wrong(key, node, "true or false");
        }
    }

    private int integer(JsonNode parent, String key, long min, long max) {
        return (int) Math.min(integer(parent, key, key, min, max), Integer.MAX_VALUE);
    }

    private long integer(JsonNode parent, String where, String key, long min, long max) {
        JsonNode node = parent.get(key);
        if (node == null || !node.isIntegralNumber() || !node.canConvertToLong() || node.longValue() < min
                || node.longValue() > max) {
            throw wrong(where, node, "an integer " + (max == Long.MAX_VALUE || max == Integer.MAX_VALUE
                    ? ">= " + min : "in " + min + ".." + max));
        }
        return node.longValue();
    }

    private void tokenOrNull(JsonNode parent, String key, long vocab) {
        JsonNode node = parent.get(key);
        if (node != null && !node.isNull()) {
            tokenId(key, node, vocab);
        }
    }

    private void tokenId(String key, JsonNode node, long vocab) {
        if (node == null || !node.isIntegralNumber() || !node.canConvertToLong() || node.longValue() < 0
                || node.longValue() >= vocab) {
            throw wrong(key, node, "a token id in the vocabulary (0.." + (vocab - 1) + ")");
        }
    }
}
