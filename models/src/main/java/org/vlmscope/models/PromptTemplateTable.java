package org.vlmscope.models;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.Collections;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import org.vlmscope.core.VlmscopeException;

/**
 * The prompt templates of the paper's models (EXPERIMENTS.md, "Models and prompts"), the one place both the
 * exporter (a family's default chat template, written into vlmscope.json) and the runtime (code fidelity, the VQA
 * answer start) read them: {@code prompt-templates.json} next to this class holds, per template family, the chat
 * template in paper and code fidelity ({@code {prompt}} where the question goes, {@code <image>} where the visual
 * tokens go) and the answer start that turns it into the VQA prompt.
 */
public final class PromptTemplateTable {
    public static final String RESOURCE = "prompt-templates.json";

    /** One template family's strings. */
    public record Entry(String paper, String code, String vqaAnswerPrefix) {
    }

    private static final Map<String, Entry> FAMILIES = read();

    private PromptTemplateTable() {
    }

    public static Set<String> families() {
        return FAMILIES.keySet();
    }

    /** The strings of template family {@code name} ({@code llava-1.5}, {@code llava-phi-3}). */
    public static Entry of(String name) {
        Entry e = FAMILIES.get(name);
        if (e == null) {
            throw new VlmscopeException("no prompt templates for model family '" + name + "'; "
                    + PromptTemplateTable.class.getPackageName() + "/" + RESOURCE + " has " + families());
        }
        return e;
    }

    /** The template family whose paper template is exactly {@code text}, or null when none is. */
    public static String familyOfPaperTemplate(String text) {
        for (Map.Entry<String, Entry> e : FAMILIES.entrySet()) {
            if (e.getValue().paper().equals(text)) {
                return e.getKey();
            }
        }
        return null;
    }

    private static Map<String, Entry> read() {
        try (InputStream in = PromptTemplateTable.class.getResourceAsStream(RESOURCE)) {
            if (in == null) {
                throw new IllegalStateException(RESOURCE + " is missing from the classpath next to "
                        + PromptTemplateTable.class.getName());
            }
            JsonNode root = new ObjectMapper().readTree(in);
            Map<String, Entry> out = new TreeMap<>();
            root.fields().forEachRemaining(e -> {
                JsonNode t = e.getValue().path("template");
                out.put(e.getKey(), new Entry(required(t, "paper", e.getKey()), required(t, "code", e.getKey()),
                        e.getValue().path("vqaAnswerPrefix").asText()));
            });
            return Collections.unmodifiableMap(out);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + RESOURCE, e);
        }
    }

    private static String required(JsonNode template, String fidelity, String family) {
        if (!template.path(fidelity).isTextual()) {
            throw new IllegalStateException(RESOURCE + ": family " + family + " has no template." + fidelity);
        }
        return template.get(fidelity).asText();
    }
}
