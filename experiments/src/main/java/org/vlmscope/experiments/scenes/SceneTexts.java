package org.vlmscope.experiments.scenes;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.function.ToDoubleFunction;

/**
 * What is said about a scene: its description, its polling questions in the paper's wording and its VQA questions,
 * each answered by one shape word (the paper's "It is a" continuation). Questions are only asked when their answer
 * is unambiguous.
 */
public final class SceneTexts {
    /** The paper's polling question, {@code {object}} replaced by a category name. */
    public static final String POLLING = "Is there a %s in this image?";
    /** Objects whose centres are closer than this share of the crop are not told apart by position. */
    private static final double POSITION_MARGIN = 0.15;
    private static final int TEXT_PURPOSE = 1;

    /** A yes/no question about one category. */
    public record Polling(String object, String question, String answer) {
    }

    /** A question answered by a shape word. */
    public record Vqa(String question, String answer) {
    }

    private SceneTexts() {
    }

    /** "a red star", "an orange star and a blue circle", "a red star, a blue circle and a green heart", left to right. */
    public static String description(Scene scene) {
        List<String> phrases = scene.objects().stream().map(o -> article(o.phrase()) + " " + o.phrase()).toList();
        if (phrases.isEmpty()) {
            return "nothing";
        }
        if (phrases.size() == 1) {
            return phrases.get(0);
        }
        return String.join(", ", phrases.subList(0, phrases.size() - 1)) + " and " + phrases.get(phrases.size() - 1);
    }

    /** "an" before a vowel ("an orange moon"), "a" otherwise. */
    static String article(String phrase) {
        return "aeiou".indexOf(phrase.charAt(0)) >= 0 ? "an" : "a";
    }

    /**
     * One "Yes" question per category present and as many "No" questions about categories absent (fewer when
     * fewer are absent), in a seeded order.
     */
    public static List<Polling> polling(Scene scene, long seed) {
        SplittableRandom random = SceneGenerator.random(seed, scene.id(), TEXT_PURPOSE);
        Set<ShapeKind> present = new LinkedHashSet<>();
        scene.objects().forEach(o -> present.add(o.shape()));
        List<ShapeKind> absent = new ArrayList<>();
        for (ShapeKind s : ShapeKind.values()) {
            if (!present.contains(s)) {
                absent.add(s);
            }
        }
        List<Polling> questions = new ArrayList<>();
        for (ShapeKind s : present) {
            questions.add(new Polling(s.word(), POLLING.formatted(s.word()), "Yes"));
        }
        for (int i = 0; i < present.size() && !absent.isEmpty(); i++) {
            ShapeKind s = absent.remove(random.nextInt(absent.size()));
            questions.add(new Polling(s.word(), POLLING.formatted(s.word()), "No"));
        }
        return questions;
    }

    /**
     * "What shape is in this image?" for a lone object; otherwise the leftmost, rightmost, topmost and bottommost
     * objects when they stand clear of the next one, and every object whose colour no other object has.
     */
    public static List<Vqa> vqa(Scene scene) {
        List<SceneObject> objects = scene.objects();
        List<Vqa> questions = new ArrayList<>();
        if (objects.size() == 1) {
            questions.add(new Vqa("What shape is in this image?", objects.get(0).shape().word()));
            return questions;
        }
        double margin = POSITION_MARGIN * scene.cropSide();
        extreme(objects, SceneObject::centerX, margin, "What shape is on the left?", "What shape is on the right?",
                questions);
        extreme(objects, SceneObject::centerY, margin, "What shape is at the top?", "What shape is at the bottom?",
                questions);
        for (SceneObject o : objects) {
            boolean unique = objects.stream().filter(p -> p.color() == o.color()).count() == 1;
            if (unique) {
                questions.add(new Vqa("Which shape is " + o.color().word() + "?", o.shape().word()));
            }
        }
        return questions;
    }

    private static void extreme(List<SceneObject> objects, ToDoubleFunction<SceneObject> coordinate, double margin,
                                String lowQuestion, String highQuestion, List<Vqa> questions) {
        List<SceneObject> sorted = new ArrayList<>(objects);
        sorted.sort(Comparator.comparingDouble(coordinate));
        SceneObject low = sorted.get(0);
        SceneObject high = sorted.get(sorted.size() - 1);
        if (coordinate.applyAsDouble(sorted.get(1)) - coordinate.applyAsDouble(low) >= margin) {
            questions.add(new Vqa(lowQuestion, low.shape().word()));
        }
        if (coordinate.applyAsDouble(high) - coordinate.applyAsDouble(sorted.get(sorted.size() - 2)) >= margin) {
            questions.add(new Vqa(highQuestion, high.shape().word()));
        }
    }
}
