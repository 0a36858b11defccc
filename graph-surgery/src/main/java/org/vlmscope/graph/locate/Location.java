package org.vlmscope.graph.locate;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import org.vlmscope.core.vocab.HookName;
import org.vlmscope.core.vocab.MetadataKeys;
import org.vlmscope.graph.GraphException;
import org.vlmscope.graph.OnnxModel;

/**
 * What the locator found in a graph vlmscope did not write, kept in metadata_props {@value #METADATA_KEY} as
 * JSON: the layer count, the hidden size (null when no weight shape gives it), each hook with the graph's own
 * name for that tensor, and the hooks it could not provide with the reason (by pattern, {@code *} for the layer).
 */
public record Location(int layers, Long dModel, Map<String, String> tensors, Map<String, String> unavailable) {
    public static final String METADATA_KEY = MetadataKeys.LOCATED;
    private static final ObjectMapper JSON = new ObjectMapper();

    public Location {
        tensors = Collections.unmodifiableMap(new LinkedHashMap<>(tensors));
        unavailable = Collections.unmodifiableMap(new LinkedHashMap<>(unavailable));
    }

    /** Whether {@code hook} was located and is a [batch, sequence, d_model] tensor (not scores, pattern or logits). */
    public boolean isStreamShaped(String hook) {
        String every = HookName.everyLayer(hook);
        return tensors.containsKey(hook) && !every.equals(HookName.everyLayer(HookName.attnScores(0)))
                && !every.equals(HookName.everyLayer(HookName.pattern(0))) && !hook.equals(HookName.LOGITS);
    }

    /** The location recorded in {@code model}, or null when its hooks were not located (or it has none). */
    public static Location read(OnnxModel model) {
        String text = model.metadata().get(METADATA_KEY);
        if (text == null) {
            return null;
        }
        try {
            return JSON.readValue(text, Location.class);
        } catch (JsonProcessingException e) {
            throw new GraphException("metadata " + METADATA_KEY + " is not valid: " + e.getOriginalMessage());
        }
    }

    String toJson() {
        try {
            return JSON.writeValueAsString(this);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }
}
