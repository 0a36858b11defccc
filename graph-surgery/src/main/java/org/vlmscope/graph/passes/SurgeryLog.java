package org.vlmscope.graph.passes;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.vlmscope.core.vocab.MetadataKeys;
import org.vlmscope.graph.GraphException;
import org.vlmscope.graph.OnnxModel;

/**
 * The passes applied to a model, in order, kept in metadata_props "vlmscope.surgery" as a JSON list so a run
 * (or a user with any ONNX tool) knows the rewritten interface.
 */
public final class SurgeryLog {
    public static final String METADATA_KEY = MetadataKeys.SURGERY;
    private static final ObjectMapper JSON = new ObjectMapper();

    private SurgeryLog() {
    }

    public static List<Map<String, Object>> entries(OnnxModel model) {
        String text = model.metadata().get(METADATA_KEY);
        if (text == null || text.isEmpty()) {
            return List.of();
        }
        try {
            return JSON.readValue(text, new TypeReference<List<Map<String, Object>>>() { });
        } catch (JsonProcessingException e) {
            throw new GraphException("metadata " + METADATA_KEY + " is not a JSON list: " + e.getOriginalMessage());
        }
    }

    static void record(OnnxModel model, Pass pass) {
        List<Map<String, Object>> all = new ArrayList<>(entries(model));
        Map<String, Object> entry = new LinkedHashMap<>();
        entry.put("pass", pass.name());
        entry.putAll(pass.describe());
        all.add(entry);
        model.metadata().put(METADATA_KEY, toJson(all));
    }

    /** Canonical JSON of a list of passes: what identifies a variant. */
    public static String describe(List<? extends Pass> passes) {
        List<Map<String, Object>> all = new ArrayList<>();
        for (Pass p : passes) {
            Map<String, Object> entry = new LinkedHashMap<>();
            entry.put("pass", p.name());
            entry.putAll(p.describe());
            all.add(entry);
        }
        return toJson(all);
    }

    private static String toJson(Object value) {
        try {
            return JSON.writeValueAsString(value);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }
}
