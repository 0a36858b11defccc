package org.vlmscope.models;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.vlmscope.core.VlmscopeException;

/**
 * Where a model family keeps its weights, read from {@code arch/<family>.json}: named single tensors, per-layer
 * modules ({@code {i}} is the layer index) and fused per-layer modules whose rows split into several roles.
 * The exporter asks for roles ("q", "gate", ...) and never spells a checkpoint key itself.
 */
public record ArchitectureSpec(String family, Map<String, String> tensors, Map<String, String> layer,
                               Map<String, List<String>> fused) {

    private static final ObjectMapper JSON = new ObjectMapper();

    public static ArchitectureSpec load(String family) {
        JsonNode root = read(family);
        Map<String, List<String>> fused = new LinkedHashMap<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = root.path("fused").fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            List<String> roles = new ArrayList<>();
            e.getValue().forEach(r -> roles.add(r.asText()));
            fused.put(e.getKey(), List.copyOf(roles));
        }
        return new ArchitectureSpec(family, strings(root.path("tensors")), strings(root.path("layer")), fused);
    }

    static JsonNode read(String family) {
        String resource = "arch/" + family + ".json";
        try (InputStream in = ArchitectureSpec.class.getResourceAsStream(resource)) {
            if (in == null) {
                throw new VlmscopeException("no architecture spec for model type '" + family + "' (looked for "
                        + resource + ")");
            }
            return JSON.readTree(in);
        } catch (IOException e) {
            throw new VlmscopeException("cannot read architecture spec " + resource + ": " + e.getMessage(), e);
        }
    }

    static Map<String, String> strings(JsonNode node) {
        Map<String, String> out = new LinkedHashMap<>();
        node.fields().forEachRemaining(e -> out.put(e.getKey(), e.getValue().asText()));
        return Map.copyOf(out);
    }

    /** The fused module (with {@code {i}} filled in) that holds {@code role} in layer {@code i}, or null. */
    public FusedPart fusedPart(String role, int i) {
        for (Map.Entry<String, List<String>> e : fused.entrySet()) {
            int index = e.getValue().indexOf(role);
            if (index >= 0) {
                return new FusedPart(e.getKey().replace("{i}", Integer.toString(i)), e.getValue(), index);
            }
        }
        return null;
    }

    /** The module of {@code role} in layer {@code i}, or null when the role lives in a fused module. */
    public String layerModule(String role, int i) {
        String template = layer.get(role);
        return template == null ? null : template.replace("{i}", Integer.toString(i));
    }

    /** A role stored as {@code roles.get(index)} among the roles packed row-wise, in order, in {@code module}. */
    public record FusedPart(String module, List<String> roles, int index) {
    }
}
