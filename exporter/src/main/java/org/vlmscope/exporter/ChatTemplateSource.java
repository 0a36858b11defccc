package org.vlmscope.exporter;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.vlmscope.core.VlmscopeException;
import org.vlmscope.models.MiniJinja;
import org.vlmscope.models.PromptTemplateTable;

/**
 * Where an export's prompt template comes from. A checkpoint that carries a chat template ({@code chat_template.json},
 * else {@code tokenizer_config.json}'s {@code chat_template}) gets that template: one user turn holding
 * {@code <image>\n{prompt}} is rendered with the generation prompt and without BOS (the tokenizer adds it). The
 * template's family is the shipped family whose paper template it equals (so code fidelity finds its strings), else
 * the family's default name. A checkpoint without one gets its family's shipped template. {@code source} says which.
 */
record ChatTemplateSource(String family, String template, String source) {
    static final String CHAT_TEMPLATE_JSON = "chat_template.json";
    static final String TOKENIZER_CONFIG_JSON = "tokenizer_config.json";
    /** The user turn a LLaVA prompt is: the image, a newline, the question. */
    static final String USER_TURN = "<image>\n{prompt}";
    private static final ObjectMapper JSON = new ObjectMapper();

    /** The template for a checkpoint whose family default is {@code defaultFamily} (a shipped template family). */
    static ChatTemplateSource of(Path checkpointDir, String defaultFamily) {
        String notes = "";
        for (String file : List.of(CHAT_TEMPLATE_JSON, TOKENIZER_CONFIG_JSON)) {
            Path path = checkpointDir.resolve(file);
            if (!Files.isRegularFile(path)) {
                continue;
            }
            try {
                String jinja = chatTemplate(path);
                if (jinja == null) {
                    continue;
                }
                String rendered = render(jinja);
                String family = PromptTemplateTable.familyOfPaperTemplate(rendered);
                return new ChatTemplateSource(family != null ? family : defaultFamily, rendered, file);
            } catch (VlmscopeException e) {
                // A template this reader cannot render is no reason to refuse the export: the family's own is used
                // and the manifest says why.
                notes += "; " + file + ": " + e.getMessage();
            }
        }
        return new ChatTemplateSource(defaultFamily, PromptTemplateTable.of(defaultFamily).paper(),
                "family default" + (notes.isEmpty() ? "" : " (" + notes.substring(2) + ")"));
    }

    /** The Jinja source in {@code file}, or null when it holds none. */
    private static String chatTemplate(Path file) {
        JsonNode root;
        try {
            root = JSON.readTree(file.toFile());
        } catch (IOException e) {
            throw new VlmscopeException("not readable JSON (" + e.getMessage().lines().findFirst().orElse("") + ")");
        }
        JsonNode t = root == null ? null : root.get("chat_template");
        if (t == null || t.isNull()) {
            return null;
        }
        if (t.isTextual()) {
            return t.asText();
        }
        // tokenizer_config.json may list named templates; the default one is the chat template.
        if (t.isArray()) {
            for (JsonNode named : t) {
                if ("default".equals(named.path("name").asText()) && named.path("template").isTextual()) {
                    return named.get("template").asText();
                }
            }
        }
        throw new VlmscopeException("chat_template is neither a string nor a list holding a 'default' template");
    }

    static String render(String jinja) {
        return MiniJinja.parse(jinja).render(Map.of(
                "messages", List.of(Map.of("role", "user", "content", USER_TURN)),
                "add_generation_prompt", true, "bos_token", "", "eos_token", ""));
    }
}
