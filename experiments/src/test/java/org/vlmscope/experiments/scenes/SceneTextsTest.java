package org.vlmscope.experiments.scenes;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

class SceneTextsTest {
    private static SceneObject object(ShapeKind shape, SceneColor color, double x, double y) {
        double[] square = {x - 10, y - 10, x + 10, y - 10, x + 10, y + 10, x - 10, y + 10};
        return new SceneObject(shape, color, new Polygon(square), 400);
    }

    private static Scene scene(SceneObject... objects) {
        return new Scene(9, 1, 1, new int[1], List.of(objects));
    }

    @Test
    void descriptionListsObjectsLeftToRightWithArticles() {
        assertEquals("a red star", SceneTexts.description(scene(object(ShapeKind.STAR, SceneColor.RED, 50, 50))));
        assertEquals("an orange moon and a blue circle", SceneTexts.description(scene(
                object(ShapeKind.MOON, SceneColor.ORANGE, 20, 50), object(ShapeKind.CIRCLE, SceneColor.BLUE, 90, 50))));
        assertEquals("a red star, a white star and a black heart", SceneTexts.description(scene(
                object(ShapeKind.STAR, SceneColor.RED, 10, 50), object(ShapeKind.STAR, SceneColor.WHITE, 50, 50),
                object(ShapeKind.HEART, SceneColor.BLACK, 90, 50))));
    }

    @Test
    void pollingUsesThePapersWordingAndBalancesYesAndNo() {
        Scene s = scene(object(ShapeKind.STAR, SceneColor.RED, 10, 50), object(ShapeKind.STAR, SceneColor.BLUE, 50, 50),
                object(ShapeKind.HEART, SceneColor.BLACK, 90, 50));
        List<SceneTexts.Polling> polling = SceneTexts.polling(s, 4);
        assertEquals(4, polling.size(), "two categories present, two absent");
        for (SceneTexts.Polling p : polling) {
            assertEquals("Is there a " + p.object() + " in this image?", p.question());
            boolean present = p.object().equals("star") || p.object().equals("heart");
            assertEquals(present ? "Yes" : "No", p.answer(), p.question());
        }
        assertEquals(2, polling.stream().map(SceneTexts.Polling::object).filter(o -> !o.equals("star")
                && !o.equals("heart")).distinct().count(), "two different absent categories");
    }

    @Test
    void vqaAsksOnlyWhatHasOneAnswer() {
        // Left and right are far apart; top and bottom too close to tell; two objects share red.
        Scene s = scene(object(ShapeKind.STAR, SceneColor.RED, 20, 50), object(ShapeKind.HEART, SceneColor.RED, 60, 52),
                object(ShapeKind.MOON, SceneColor.GREEN, 100, 54));
        Set<String> asked = SceneTexts.vqa(new Scene(9, 120, 100, new int[120 * 100], s.objects())).stream()
                .map(q -> q.question() + " " + q.answer()).collect(Collectors.toSet());
        assertEquals(Set.of("What shape is on the left? star", "What shape is on the right? moon",
                "Which shape is green? moon"), asked);
        List<SceneTexts.Vqa> lone = SceneTexts.vqa(scene(object(ShapeKind.CROSS, SceneColor.WHITE, 50, 50)));
        assertEquals(List.of(new SceneTexts.Vqa("What shape is in this image?", "cross")), lone);
    }
}
