package org.vlmscope.runtime.text;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.Collections;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import org.vlmscope.core.ModelManifest;
import org.vlmscope.core.VlmscopeException;

/**
 * The prompt templates of the paper's models (EXPERIMENTS.md, "Models and prompts"), kept as data in
 * {@code prompt-templates.json} next to this class: per family the chat template in paper and code fidelity, and
 * the answer start that turns it into the VQA prompt. A model directory's own template (vlmscope.json,
 * {@code promptTemplates}) takes precedence in paper fidelity, because that is the model's template as exported;
 * code fidelity reproduces the public code's strings verbatim, whatever the model says.
 */
public final class PromptTemplates {
    public static final String RESOURCE = "prompt-templates.json";

    /**
     * Which prompt: the chat template around a question (generation, polling, logit lens; each with its own
     * question text) or the VQA prompt, which ends in an answer start ({@code It is a}) so the next token answers.
     */
    public enum Variant { GENERATIVE, VQA }

    /** The protocol switch of EXPERIMENTS.md: the paper's text or what its public code does. */
    public enum Fidelity { PAPER, CODE }

    private record Family(String paper, String code, String vqaAnswerPrefix) {
    }

    private static final Map<String, Family> FAMILIES = read();

    private PromptTemplates() {
    }

    public static Set<String> families() {
        return FAMILIES.keySet();
    }

    /** The shipped template of {@code family}. */
    public static PromptTemplate of(String family, Variant variant, Fidelity fidelity) {
        Family f = family(family);
        PromptTemplate chat = new PromptTemplate(family, fidelity == Fidelity.CODE ? f.code() : f.paper());
        return variant == Variant.VQA ? chat.append(f.vqaAnswerPrefix()) : chat;
    }

    /**
     * The template for an exported model: its family is the one vlmscope.json names a template for; in paper
     * fidelity that template is the chat template, otherwise the shipped one of the family is.
     */
    public static PromptTemplate forModel(ModelManifest manifest, Variant variant, Fidelity fidelity) {
        Map<String, String> own = manifest.promptTemplates();
        if (own == null || own.size() != 1) {
            throw new VlmscopeException("the model's vlmscope.json names " + (own == null ? "no" : own.size())
                    + " prompt templates " + (own == null ? "" : own.keySet() + " ")
                    + "where one is expected; export the model again or choose a family: " + families());
        }
        Map.Entry<String, String> entry = own.entrySet().iterator().next();
        String family = entry.getKey();
        if (fidelity == Fidelity.CODE) {
            return of(family, variant, fidelity);
        }
        PromptTemplate chat = new PromptTemplate(family, entry.getValue());
        return variant == Variant.VQA ? chat.append(family(family).vqaAnswerPrefix()) : chat;
    }

    private static Family family(String name) {
        Family f = FAMILIES.get(name);
        if (f == null) {
            throw new VlmscopeException("no prompt templates for model family '" + name + "'; "
                    + PromptTemplates.class.getPackageName() + "/" + RESOURCE + " has " + families());
        }
        return f;
    }

    private static Map<String, Family> read() {
        try (InputStream in = PromptTemplates.class.getResourceAsStream(RESOURCE)) {
            if (in == null) {
                throw new IllegalStateException(RESOURCE + " is missing from the classpath next to "
                        + PromptTemplates.class.getName());
            }
            JsonNode root = new ObjectMapper().readTree(in);
            Map<String, Family> out = new TreeMap<>();
            root.fields().forEachRemaining(e -> {
                JsonNode t = e.getValue().path("template");
                out.put(e.getKey(), new Family(required(t, Fidelity.PAPER, e.getKey()),
                        required(t, Fidelity.CODE, e.getKey()),
                        e.getValue().path("vqaAnswerPrefix").asText()));
            });
            return Collections.unmodifiableMap(out);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + RESOURCE, e);
        }
    }

    private static String required(JsonNode template, Fidelity fidelity, String family) {
        String key = fidelity.name().toLowerCase(Locale.ROOT);
        if (!template.path(key).isTextual()) {
            throw new IllegalStateException(RESOURCE + ": family " + family + " has no template." + key);
        }
        return template.get(key).asText();
    }
}
