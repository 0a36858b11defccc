package org.vlmscope.runtime.text;

import java.util.Map;
import java.util.Set;
import org.vlmscope.core.ModelManifest;
import org.vlmscope.models.PromptTemplateTable;
import org.vlmscope.core.VlmscopeException;

/**
 * The prompt templates of the paper's models (EXPERIMENTS.md, "Models and prompts"), read from the models
 * module's {@link PromptTemplateTable} (the exporter reads the same table): per family the chat template in paper
 * and code fidelity, and the answer start that turns it into the VQA prompt. A model directory's own template (vlmscope.json,
 * {@code promptTemplates}) takes precedence in paper fidelity, because that is the model's template as exported;
 * code fidelity reproduces the public code's strings verbatim, whatever the model says.
 */
public final class PromptTemplates {
    /**
     * Which prompt: the chat template around a question (generation, polling, logit lens; each with its own
     * question text) or the VQA prompt, which ends in an answer start ({@code It is a}) so the next token answers.
     */
    public enum Variant { GENERATIVE, VQA }

    /** The protocol switch of EXPERIMENTS.md: the paper's text or what its public code does. */
    public enum Fidelity { PAPER, CODE }

    private PromptTemplates() {
    }

    public static Set<String> families() {
        return PromptTemplateTable.families();
    }

    /** The shipped template of {@code family}. */
    public static PromptTemplate of(String family, Variant variant, Fidelity fidelity) {
        PromptTemplateTable.Entry f = family(family);
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

    private static PromptTemplateTable.Entry family(String name) {
        return PromptTemplateTable.of(name);
    }
}
