package org.vlmscope.runtime.text;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.vlmscope.core.ModelManifest;
import org.vlmscope.exporter.ExportOptions;
import org.vlmscope.exporter.Exporter;
import org.vlmscope.models.RandomCheckpoint;
import org.vlmscope.runtime.text.PromptTemplates.Fidelity;
import org.vlmscope.runtime.text.PromptTemplates.Variant;

/**
 * A LLaVA-Phi-3 checkpoint in the Llama layout (text model_type llama, vocabulary 32064, image token 32038, as
 * xtuner/llava-phi-3-mini-hf is published): its prompt template comes from the chat template in its tokenizer
 * config, not from the model type (which would say LLaVA-1.5). The expected prompts are the paper's and its code's
 * Phi-3 strings (EXPERIMENTS.md), written out here.
 */
class LlamaLayoutPhi3TemplateTest {
    /** Phi-3-mini-4k-instruct's chat template as its tokenizer_config.json had it. */
    private static final String PHI3_CHAT_TEMPLATE = "{{ bos_token }}{% for message in messages %}"
            + "{% if (message['role'] == 'user') %}{{'<|user|>' + '\\n' + message['content'] + '<|end|>' + '\\n' "
            + "+ '<|assistant|>' + '\\n'}}{% elif (message['role'] == 'assistant') %}{{message['content'] + "
            + "'<|end|>' + '\\n'}}{% endif %}{% endfor %}";

    @TempDir
    Path tmp;

    @Test
    void chatTemplateInTheTokenizerConfigGivesThePhi3PromptInBothFidelities() throws IOException {
        Path checkpoint = tmp.resolve("checkpoint");
        RandomCheckpoint.writeLlamaLayoutPhi3(checkpoint);
        Files.writeString(checkpoint.resolve("tokenizer_config.json"),
                "{\"bos_token\": \"<s>\", \"chat_template\": \"" + PHI3_CHAT_TEMPLATE.replace("\\", "\\\\")
                        .replace("\"", "\\\"") + "\"}");
        ModelManifest m = Exporter.export(checkpoint, tmp.resolve("model"), ExportOptions.parse("fp32")).manifest();

        assertEquals("llama", m.textModelType());
        assertEquals(32064, m.dims().vocab());
        assertEquals(32038, m.imageTokenId());
        assertEquals("tokenizer_config.json", m.source().promptTemplate());
        assertEquals("<|user|>\n<image>\nWhat is shown?<|end|>\n<|assistant|>\n",
                PromptTemplates.forModel(m, Variant.GENERATIVE, Fidelity.PAPER).render("What is shown?"));
        assertEquals("<|user|>\n<image>What is shown?<|end|>\n<|assistant|>\n",
                PromptTemplates.forModel(m, Variant.GENERATIVE, Fidelity.CODE).render("What is shown?"));
        assertEquals("<|user|>\n<image>\nWhat is shown?<|end|>\n<|assistant|>\nIt is a",
                PromptTemplates.forModel(m, Variant.VQA, Fidelity.PAPER).render("What is shown?"));
    }

    @Test
    void withoutAChatTemplateTheFamilyDefaultIsUsedAndRecorded() {
        Path checkpoint = tmp.resolve("checkpoint");
        RandomCheckpoint.writeLlamaLayoutPhi3(checkpoint);
        ModelManifest m = Exporter.export(checkpoint, tmp.resolve("model"), ExportOptions.parse("fp32")).manifest();

        assertEquals(Map.of("llava-1.5", "USER: <image>\n{prompt} ASSISTANT:"), m.promptTemplates());
        assertEquals("family default", m.source().promptTemplate());
    }

    @Test
    void aChatTemplateBeyondTheReaderFallsBackToTheFamilyAndSaysWhy() throws IOException {
        Path checkpoint = tmp.resolve("checkpoint");
        RandomCheckpoint.writeLlamaLayoutPhi3(checkpoint);
        Files.writeString(checkpoint.resolve("chat_template.json"), "{\"chat_template\": \"{% for message in "
                + "messages %}{% for c in message['content'] | selectattr('type', 'equalto', 'image') %}<image>"
                + "{% endfor %}{% endfor %}\"}");
        ModelManifest m = Exporter.export(checkpoint, tmp.resolve("model"), ExportOptions.parse("fp32")).manifest();

        assertEquals("USER: <image>\n{prompt} ASSISTANT:", m.promptTemplates().get("llava-1.5"));
        assertTrue(m.source().promptTemplate().startsWith("family default (chat_template.json: "),
                m.source().promptTemplate());
        assertTrue(m.source().promptTemplate().contains("selectattr"), m.source().promptTemplate());
    }
}
