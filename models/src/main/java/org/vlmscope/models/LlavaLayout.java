package org.vlmscope.models;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.vlmscope.core.VlmscopeException;

/**
 * One of the checkpoint key layouts of LlavaForConditionalGeneration (prefixes of the text model, vision tower
 * and projector, and the lm_head key), from {@code arch/llava.json}.
 */
public record LlavaLayout(String name, String text, String lmHead, String vision, String projector,
                          Map<String, String> projectorModules) {

    public static List<LlavaLayout> all() {
        JsonNode root = ArchitectureSpec.read("llava");
        Map<String, String> projectorModules = ArchitectureSpec.strings(root.path("projector"));
        List<LlavaLayout> layouts = new ArrayList<>();
        for (JsonNode l : root.path("layouts")) {
            layouts.add(new LlavaLayout(l.path("name").asText(), l.path("text").asText(), l.path("lm_head").asText(),
                    l.path("vision").asText(), l.path("projector").asText(), projectorModules));
        }
        return layouts;
    }

    /** The layout whose text prefix the checkpoint's tensor names use. */
    public static LlavaLayout detect(Set<String> tensorNames, String where) {
        List<LlavaLayout> layouts = all();
        for (LlavaLayout layout : layouts) {
            if (tensorNames.stream().anyMatch(n -> n.startsWith(layout.text()))) {
                return layout;
            }
        }
        throw new VlmscopeException(where + ": no tensor name starts with a known LLaVA text prefix "
                + layouts.stream().map(LlavaLayout::text).toList() + "; is this a LlavaForConditionalGeneration checkpoint?");
    }
}
