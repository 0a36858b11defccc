package org.vlmscope.experiments.run;

import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import org.vlmscope.core.BadArgumentException;
import org.vlmscope.experiments.metrics.SuccessRules;
import org.vlmscope.experiments.records.Answer;
import org.vlmscope.runtime.image.VisionInput;
import org.vlmscope.runtime.intervene.Intervention;
import org.vlmscope.runtime.run.PreparedPrompt;
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

    /** Runs the prompt on the image under {@code interventions} and judges the answer by the model's fidelity. */
    public static Outcome answer(ExperimentModel model, VisionInput pixels, Prompt p,
                                 List<Intervention> interventions) {
        return answer(model, pixels, null, p, interventions);
    }

    /**
     * As above; a one-token answer is read from {@code prepared} (the prompt's image and embeddings computed once)
     * when it is not null, so that only the decoder runs.
     */
    public static Outcome answer(ExperimentModel model, VisionInput pixels, PreparedPrompt prepared, Prompt p,
                                 List<Intervention> interventions) {
        Fidelity f = model.fidelity();
        long[] ids = p.sequence().ids();
        return switch (p.task()) {
            case GENERATIVE -> {
                Answer a = generated(model,
                        PromptProbe.generate(model, pixels, ids, interventions, p.generationLimit()));
                yield new Outcome(a, SuccessRules.generative(f, p.object().object(), p.text(), a.text()));
            }
            case POLLING -> {
                Answer a = f == Fidelity.CODE
                        ? generated(model, PromptProbe.generate(model, pixels, ids, interventions, CODE_POLLING_TOKENS))
                        : next(model, nextToken(model, pixels, prepared, ids, interventions));
                yield new Outcome(a, SuccessRules.polling(f, a, p.yesToken()));
            }
            case VQA -> {
                Answer a = next(model, nextToken(model, pixels, prepared, ids, interventions));
                yield new Outcome(a, SuccessRules.vqa(f, a, p.object().text(), p.object().id()));
            }
        };
    }

    private static long nextToken(ExperimentModel model, VisionInput pixels, PreparedPrompt prepared, long[] ids,
                                  List<Intervention> interventions) {
        return (prepared != null ? PromptProbe.next(prepared, interventions)
                : PromptProbe.next(model, pixels, ids, interventions)).token();
    }

    private static Answer generated(ExperimentModel model, long[] tokens) {
        return new Answer(model.decode(tokens), Arrays.stream(tokens).boxed().toList());
    }

    /** A one-token answer: the token decoded alone. */
    static Answer next(ExperimentModel model, long token) {
        return new Answer(model.decode(new long[] {token}), List.of(token));
    }
}
