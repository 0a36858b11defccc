package org.vlmscope.models;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.vlmscope.core.VlmscopeException;

/**
 * One of the checkpoint key layouts of a vision-language family (prefixes of the text model, vision tower and
 * projector, and the lm_head key), from {@code arch/<family>.json}: {@code llava} for LlavaForConditionalGeneration,
 * {@code qwen2_vl} for Qwen2VLForConditionalGeneration (whose projector is the vision tower's patch merger).
 */
public record CheckpointLayout(String name, String text, String lmHead, String vision, String projector,
                               Map<String, String> projectorModules) {

    public static List<CheckpointLayout> all(String family) {
        JsonNode root = ArchitectureSpec.read(family);
        Map<String, String> projectorModules = ArchitectureSpec.strings(root.path("projector"));
        List<CheckpointLayout> layouts = new ArrayList<>();
        for (JsonNode l : root.path("layouts")) {
            layouts.add(new CheckpointLayout(l.path("name").asText(), l.path("text").asText(),
                    l.path("lm_head").asText(), l.path("vision").asText(), l.path("projector").asText(),
                    projectorModules));
        }
        return layouts;
    }

    /**
     * The first of {@code family}'s layouts (in file order) whose text prefix the checkpoint's tensor names use; a
     * layout whose prefix is a prefix of another's must come after it.
     */
    public static CheckpointLayout detect(String family, Set<String> tensorNames, String where) {
        List<CheckpointLayout> layouts = all(family);
        for (CheckpointLayout layout : layouts) {
            if (tensorNames.stream().anyMatch(n -> n.startsWith(layout.text()))) {
                return layout;
            }
        }
        throw new VlmscopeException(where + ": no tensor name starts with a known " + family + " text prefix "
                + layouts.stream().map(CheckpointLayout::text).toList() + "; is this a " + family + " checkpoint?");
    }
}
