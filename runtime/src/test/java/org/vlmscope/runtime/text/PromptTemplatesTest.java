package org.vlmscope.runtime.text;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.vlmscope.core.ModelManifest;
import org.vlmscope.core.VlmscopeException;
import org.vlmscope.runtime.text.PromptTemplates.Fidelity;
import org.vlmscope.runtime.text.PromptTemplates.Variant;

/** The prompts of EXPERIMENTS.md ("Models and prompts"), written out in full. */
class PromptTemplatesTest {

    @Test
    void llava15PromptsAreThePapers() {
        for (Fidelity f : Fidelity.values()) {
            PromptTemplate chat = PromptTemplates.of("llava-1.5", Variant.GENERATIVE, f);
            assertEquals("llava-1.5", chat.family());
            assertEquals("USER: <image>\nDescribe this image. ASSISTANT:", chat.render("Describe this image."));
            assertEquals("USER: <image>\nIs there a dog in this image? ASSISTANT:",
                    chat.render("Is there a dog in this image?"));
            assertEquals("USER: <image>\nWhat is the animal? ASSISTANT: It is a",
                    PromptTemplates.of("llava-1.5", Variant.VQA, f).render("What is the animal?"));
        }
    }

    /** Paper mode keeps the model card's newline after the image; code mode omits it, as the public code does. */
    @Test
    void llavaPhi3PromptsDifferOnlyInTheNewlineAfterTheImage() {
        assertEquals("<|user|>\n<image>\nDescribe this image.<|end|>\n<|assistant|>\n",
                PromptTemplates.of("llava-phi-3", Variant.GENERATIVE, Fidelity.PAPER).render("Describe this image."));
        assertEquals("<|user|>\n<image>Describe this image.<|end|>\n<|assistant|>\n",
                PromptTemplates.of("llava-phi-3", Variant.GENERATIVE, Fidelity.CODE).render("Describe this image."));
        assertEquals("<|user|>\n<image>\nWhat is it?<|end|>\n<|assistant|>\nIt is a",
                PromptTemplates.of("llava-phi-3", Variant.VQA, Fidelity.PAPER).render("What is it?"));
        assertEquals("<|user|>\n<image>What is it?<|end|>\n<|assistant|>\nIt is a",
                PromptTemplates.of("llava-phi-3", Variant.VQA, Fidelity.CODE).render("What is it?"));
        assertEquals(Set.of("llava-1.5", "llava-phi-3"), PromptTemplates.families());
    }

    /** The exporter's templates (Exporter.manifest) are what the resource holds for paper fidelity. */
    @Test
    void exportedTemplatesEqualTheShippedPaperTemplates() {
        assertEquals("USER: <image>\n{prompt} ASSISTANT:",
                PromptTemplates.of("llava-1.5", Variant.GENERATIVE, Fidelity.PAPER).text());
        assertEquals("<|user|>\n<image>\n{prompt}<|end|>\n<|assistant|>\n",
                PromptTemplates.of("llava-phi-3", Variant.GENERATIVE, Fidelity.PAPER).text());
    }

    @Test
    void theModelsOwnTemplateWinsInPaperFidelity() {
        ModelManifest m = manifest(Map.of("llava-1.5", "USER: <image>\n{prompt}\nASSISTANT:"));
        assertEquals("USER: <image>\nHi\nASSISTANT:",
                PromptTemplates.forModel(m, Variant.GENERATIVE, Fidelity.PAPER).render("Hi"));
        assertEquals("USER: <image>\nHi\nASSISTANT: It is a",
                PromptTemplates.forModel(m, Variant.VQA, Fidelity.PAPER).render("Hi"));
        assertEquals("USER: <image>\nHi ASSISTANT:",
                PromptTemplates.forModel(m, Variant.GENERATIVE, Fidelity.CODE).render("Hi"));
        assertEquals("llava-1.5", PromptTemplates.forModel(m, Variant.VQA, Fidelity.CODE).family());
    }

    @Test
    void aModelWithoutOneTemplateOrOfAnUnknownFamilyIsReported() {
        VlmscopeException none = assertThrows(VlmscopeException.class,
                () -> PromptTemplates.forModel(manifest(null), Variant.GENERATIVE, Fidelity.PAPER));
        assertTrue(none.getMessage().contains("names no prompt templates")
                && none.getMessage().contains("[llava-1.5, llava-phi-3]"), none.getMessage());
        VlmscopeException two = assertThrows(VlmscopeException.class, () -> PromptTemplates.forModel(
                manifest(Map.of("a", "{prompt}", "b", "{prompt}")), Variant.GENERATIVE, Fidelity.PAPER));
        assertTrue(two.getMessage().contains("names 2 prompt templates"), two.getMessage());

        ModelManifest custom = manifest(Map.of("my-vlm", "<image> Q: {prompt} A:"));
        assertEquals("<image> Q: x A:", PromptTemplates.forModel(custom, Variant.GENERATIVE, Fidelity.PAPER).render("x"));
        VlmscopeException vqa = assertThrows(VlmscopeException.class,
                () -> PromptTemplates.forModel(custom, Variant.VQA, Fidelity.PAPER));
        assertTrue(vqa.getMessage().contains("'my-vlm'"), vqa.getMessage());
        assertThrows(VlmscopeException.class, () -> PromptTemplates.of("qwen2-vl", Variant.GENERATIVE, Fidelity.PAPER));
    }

    @Test
    void aTemplateHoldsThePromptSlotOnce() {
        VlmscopeException missing = assertThrows(VlmscopeException.class,
                () -> new PromptTemplate("llava-1.5", "USER: <image>\nASSISTANT:"));
        assertTrue(missing.getMessage().contains("{prompt} exactly once")
                && missing.getMessage().contains("\"USER: <image>\\nASSISTANT:\""), missing.getMessage());
        assertThrows(VlmscopeException.class, () -> new PromptTemplate("x", "{prompt} {prompt}"));
    }

    @Test
    void renderInsertsTheQuestionVerbatim() {
        PromptTemplate t = new PromptTemplate("x", "<image>[{prompt}]");
        assertEquals("<image>[a {prompt} $1 \\n]", t.render("a {prompt} $1 \\n"));
        assertTrue(t.hasImage());
        assertFalse(new PromptTemplate("x", "Q: {prompt}").hasImage());
    }

    static ModelManifest manifest(Map<String, String> templates) {
        ModelManifest.Dims dims = new ModelManifest.Dims(4, 64, 4, 2, 16, 128, 1024, 3, 64, 336, 14, 24, 576);
        return new ModelManifest(ModelManifest.FORMAT, "llava", "llama", "fp32", false, dims, 1000, 1L, List.of(2L),
                1001L, templates, Map.of(), null, null);
    }
}
