package org.vlmscope.experiments.run;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import org.vlmscope.core.BadArgumentException;
import org.vlmscope.experiments.metrics.SuccessRules;
import org.vlmscope.experiments.records.Answer;
import org.vlmscope.runtime.image.VisionInput;
import org.vlmscope.runtime.intervene.Intervention;
import org.vlmscope.runtime.run.ImageFeatures;
import org.vlmscope.runtime.text.PromptTemplates.Fidelity;
import org.vlmscope.runtime.text.PromptTemplates.Variant;
import org.vlmscope.runtime.text.Sequence;

/**
 * The three tasks of Table 1 (EXPERIMENTS.md, "Ablation"), each a prompt and a success rule per fidelity:
 * generative (describe the image, greedy up to the generation limit, the object named), polling (asked whether
 * the object is there; paper: the next token is "Yes"; code: 10 greedy tokens contain "yes") and VQA (the
 * curated question with "It is a" appended; the next token is the object's first sub-word).
 */
public enum AblationTask {
    GENERATIVE, POLLING, VQA;

    public static final String DESCRIBE = "Describe this image.";
    /** Code fidelity's polling answer length. */
    static final int CODE_POLLING_TOKENS = 10;

    public String label() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** A comma list of task names; null or empty for all three. */
    public static List<AblationTask> parse(String spec) {
        if (spec == null || spec.isBlank()) {
            return List.of(values());
        }
        List<AblationTask> tasks = new java.util.ArrayList<>();
        for (String part : spec.split(",")) {
            AblationTask t = Arrays.stream(values()).filter(v -> v.label().equals(part.trim())).findFirst()
                    .orElseThrow(() -> new BadArgumentException("--tasks: unknown task '" + part.trim()
                            + "'; expected generative, polling or vqa"));
            if (tasks.contains(t)) {
                throw new BadArgumentException("--tasks names '" + t.label() + "' twice");
            }
            tasks.add(t);
        }
        return tasks;
    }

    /** The polling question about {@code object} (EXPERIMENTS.md's exact string). */
    public static String pollingQuestion(String object) {
        return "Is there a " + object + " in this image?";
    }

    /** The answer to one prompt and whether it counts as correct. */
    public record Outcome(Answer answer, boolean correct) {
    }

    /**
     * One task's prompt for one image: the sequence, its rendered text (the code fidelity's generative rule
     * reads it), the object and its first sub-word, and the "Yes" token of paper polling.
     */
    public record Prompt(AblationTask task, Sequence sequence, String text, ObjectToken object, long yesToken,
                         int generationLimit) {
    }

    /**
     * The prompt of this task for {@code image}, an image of {@code object}; {@code question} is the VQA question
     * (else unused).
     */
    public Prompt prompt(ExperimentModel model, VisionInput image, ObjectToken object, String question,
                         long yesToken, int generationLimit) {
        Variant variant = this == VQA ? Variant.VQA : Variant.GENERATIVE;
        String q = switch (this) {
            case GENERATIVE -> DESCRIBE;
            case POLLING -> pollingQuestion(object.object());
            case VQA -> question;
        };
        return new Prompt(this, model.prompt(variant, q, image), model.promptText(variant, q), object, yesToken,
                generationLimit);
    }

    /**
     * The prompt about an image (its features computed once) answered under each of {@code conditions}, at most
     * {@code batch} conditions per decoder call, each answer judged by the model's fidelity; in the order given.
     */
    public static List<Outcome> answers(ExperimentModel model, ImageFeatures image, Prompt p,
                                        List<List<Intervention>> conditions, int batch) {
        List<Outcome> out = new ArrayList<>();
        for (int from = 0; from < conditions.size(); from += batch) {
            List<List<Intervention>> rows = conditions.subList(from, Math.min(conditions.size(), from + batch));
            out.addAll(answer(model, image, p, rows));
        }
        return out;
    }

    /** One batch of conditions: the rows of one decoding, or of one forward pass for a one-token answer. */
    private static List<Outcome> answer(ExperimentModel model, ImageFeatures image, Prompt p,
                                        List<List<Intervention>> rows) {
        Fidelity f = model.fidelity();
        long[] ids = p.sequence().ids();
        return switch (p.task()) {
            case GENERATIVE -> PromptProbe.generate(model, image, ids, rows, p.generationLimit()).stream()
                    .map(t -> generated(model, t))
                    .map(a -> new Outcome(a, SuccessRules.generative(f, p.object().object(), p.text(), a.text())))
                    .toList();
            case POLLING -> (f == Fidelity.CODE
                    ? PromptProbe.generate(model, image, ids, rows, CODE_POLLING_TOKENS).stream()
                            .map(t -> generated(model, t))
                    : PromptProbe.next(model, image, ids, rows).stream().map(n -> next(model, n.token())))
                    .map(a -> new Outcome(a, SuccessRules.polling(f, a, p.yesToken())))
                    .toList();
            case VQA -> PromptProbe.next(model, image, ids, rows).stream()
                    .map(n -> next(model, n.token()))
                    .map(a -> new Outcome(a, SuccessRules.vqa(f, a, p.object().text(), p.object().id())))
                    .toList();
        };
    }

    private static Answer generated(ExperimentModel model, long[] tokens) {
        return new Answer(model.decode(tokens), Arrays.stream(tokens).boxed().toList());
    }

    /** A one-token answer: the token decoded alone. */
    static Answer next(ExperimentModel model, long token) {
        return new Answer(model.decode(new long[] {token}), List.of(token));
    }
}
