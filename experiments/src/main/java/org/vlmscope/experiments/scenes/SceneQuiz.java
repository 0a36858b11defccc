package org.vlmscope.experiments.scenes;

import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.vlmscope.core.ModelManifest;
import org.vlmscope.core.SafetensorsWriter.NamedTensor;
import org.vlmscope.core.vocab.GraphNames;
import org.vlmscope.runtime.run.Forward;
import org.vlmscope.runtime.run.Greedy;
import org.vlmscope.runtime.session.ModelSession;
import org.vlmscope.runtime.text.PromptTemplate;
import org.vlmscope.runtime.text.PromptTemplates;
import org.vlmscope.runtime.text.PromptTemplates.Fidelity;
import org.vlmscope.runtime.text.PromptTemplates.Variant;
import org.vlmscope.runtime.text.Prompts;
import org.vlmscope.runtime.text.Sequence;
import org.vlmscope.runtime.text.Tokenizer;

/**
 * Asks a model about a scene in the paper's prompts (paper fidelity) and checks each answer against the scene:
 * a description (greedy; right when every object's shape is named as a word), polling (right when the next token
 * is the expected "Yes" or "No") and VQA after "It is a" (right when the next token is the shape's first token).
 */
public final class SceneQuiz {
    /** The generative prompt's question. */
    public static final String DESCRIBE = "Describe this image.";
    private static final int DESCRIPTION_TOKENS = 24;

    /** One question put to the model: the rendered prompt, the expected answer, the model's, and whether it is right. */
    public record Answer(String task, String prompt, String expected, String answer, boolean correct) {
    }

    private final ModelSession session;
    private final Tokenizer tokenizer;
    private final ModelManifest manifest;
    private final PromptTemplate chat;
    private final PromptTemplate vqa;
    private final Set<Long> eos;

    public SceneQuiz(ModelSession session, Tokenizer tokenizer) {
        this.session = session;
        this.tokenizer = tokenizer;
        this.manifest = session.manifest();
        this.chat = PromptTemplates.forModel(manifest, Variant.GENERATIVE, Fidelity.PAPER);
        this.vqa = PromptTemplates.forModel(manifest, Variant.VQA, Fidelity.PAPER);
        this.eos = new HashSet<>(manifest.eosTokenIds());
    }

    /** The description, with the scene's own description as the expectation. */
    public Answer describe(Scene scene, NamedTensor pixels) {
        Sequence prompt = Prompts.build(tokenizer, chat, DESCRIBE, manifest);
        long[] tokens = Greedy.run(session, pixels, new long[][] {prompt.ids()}, DESCRIPTION_TOKENS, eos)
                .tokens()[0];
        String text = tokenizer.decode(tokens, true).strip();
        boolean all = namedObjects(scene, text) == scene.objects().size();
        return new Answer("describe", chat.render(DESCRIBE), SceneTexts.description(scene), text, all);
    }

    /** How many of the scene's objects {@code text} names: their shape word appears as a whole word. */
    public static int namedObjects(Scene scene, String text) {
        List<String> words = Arrays.asList(text.split("[^a-z]+"));
        return (int) scene.objects().stream().filter(o -> words.contains(o.shape().word())).count();
    }

    /** Every polling question of the scene. */
    public List<Answer> poll(Scene scene, NamedTensor pixels, long seed) {
        return SceneTexts.polling(scene, seed).stream()
                .map(q -> nextToken("polling", chat, q.question(), q.answer(), pixels)).toList();
    }

    /** Every VQA question of the scene. */
    public List<Answer> vqa(Scene scene, NamedTensor pixels) {
        return SceneTexts.vqa(scene).stream().map(q -> nextToken("vqa", vqa, q.question(), q.answer(), pixels))
                .toList();
    }

    /** One forward pass; right when the predicted next token is the first token of the expected answer. */
    private Answer nextToken(String task, PromptTemplate template, String question, String expected,
                             NamedTensor pixels) {
        Sequence prompt = Prompts.build(tokenizer, template, question, manifest);
        float[] logits = Forward.run(session, pixels, new long[][] {prompt.ids()}).get(GraphNames.LOGITS)
                .toFloatArray();
        int vocab = manifest.dims().vocab();
        int offset = prompt.lastPosition() * vocab;
        int best = 0;
        for (int i = 1; i < vocab; i++) {
            if (logits[offset + i] > logits[offset + best]) {
                best = i;
            }
        }
        long expectedId = tokenizer.encode(expected, false)[0];
        String answer = tokenizer.decode(new long[] {best}, true).strip();
        return new Answer(task, template.render(question), expected, answer, best == expectedId);
    }
}
