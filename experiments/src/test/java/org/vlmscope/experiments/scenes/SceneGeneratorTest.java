package org.vlmscope.experiments.scenes;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

class SceneGeneratorTest {
    private static final int SCENES = 150;

    @Test
    void aSceneIsAFunctionOfSeedAndIdAlone() {
        SceneGenerator a = new SceneGenerator(5);
        SceneGenerator b = new SceneGenerator(5);
        // Drawing other scenes first must not change scene 7.
        b.scene(3);
        b.scene(11);
        Scene first = a.scene(7);
        Scene second = b.scene(7);
        assertArrayEquals(first.rgb(), second.rgb());
        assertEquals(first.objects(), second.objects());
        Scene otherSeed = new SceneGenerator(6).scene(7);
        assertFalse(java.util.Arrays.equals(first.rgb(), otherSeed.rgb()), "another seed paints another picture");
    }

    /**
     * The painted area is counted from the pixels themselves, not from the mask that painted them: a pixel belongs
     * to an object when it lies near the object's box and all three channels are within the object noise of its
     * colour, which no background pixel can be (backgrounds are mid-tone tinted greys, objects saturated or extreme). That count equals the stored
     * area exactly, and the polygon's shoelace area agrees with it to within half a pixel per unit of perimeter
     * (each boundary pixel is in or out by its centre, so the error is bounded by the pixels the outline crosses).
     */
    @Test
    void storedAreasAreThePaintedPixelsAndMatchThePolygons() {
        SceneGenerator generator = new SceneGenerator(1);
        int objects = 0;
        for (int id = 1; id <= SCENES; id++) {
            Scene scene = generator.scene(id);
            for (SceneObject o : scene.objects()) {
                int painted = paintedPixels(scene, o);
                assertEquals(o.pixelArea(), painted, "scene " + id + " " + o.phrase() + ": painted pixels");
                double polygon = o.outline().area();
                assertTrue(Math.abs(polygon - painted) <= 0.5 * o.outline().perimeter(), "scene " + id + " "
                        + o.phrase() + ": polygon area " + polygon + " vs " + painted + " pixels");
                objects++;
            }
        }
        assertTrue(objects > SCENES, "scenes hold objects: " + objects);
    }

    @Test
    void objectsSitInsideTheCentreSquareWithoutOverlapping() {
        SceneGenerator generator = new SceneGenerator(2);
        for (int id = 1; id <= SCENES; id++) {
            Scene scene = generator.scene(id);
            int crop = scene.cropSide();
            int left = (scene.width() - crop) / 2;
            int top = (scene.height() - crop) / 2;
            List<SceneObject> objects = scene.objects();
            assertTrue(objects.size() >= 1 && objects.size() <= 3, "1-3 objects, found " + objects.size());
            for (int i = 0; i < objects.size(); i++) {
                double[] b = objects.get(i).outline().bbox();
                assertTrue(b[0] >= left && b[1] >= top && b[0] + b[2] <= left + crop && b[1] + b[3] <= top + crop,
                        "scene " + id + ": object inside the centre square");
                for (int j = 0; j < i; j++) {
                    double[] c = objects.get(j).outline().bbox();
                    boolean apart = b[0] + b[2] < c[0] || c[0] + c[2] < b[0] || b[1] + b[3] < c[1]
                            || c[1] + c[3] < b[1];
                    assertTrue(apart, "scene " + id + ": boxes " + i + " and " + j + " apart");
                }
            }
        }
    }

    /** The paper's two size selections occur, large objects alone; every shape and colour is drawn. */
    @Test
    void sizesShapesAndColoursCoverTheVocabulary() {
        SceneGenerator generator = new SceneGenerator(3);
        int small = 0;
        int large = 0;
        int twoOfAKind = 0;
        Set<ShapeKind> shapes = EnumSet.noneOf(ShapeKind.class);
        Set<SceneColor> colors = EnumSet.noneOf(SceneColor.class);
        Set<String> aspects = new java.util.HashSet<>();
        for (int id = 1; id <= SCENES; id++) {
            Scene scene = generator.scene(id);
            aspects.add(Integer.signum(scene.width() - scene.height()) + "");
            for (SceneObject o : scene.objects()) {
                shapes.add(o.shape());
                colors.add(o.color());
                if (o.pixelArea() > 1000 && o.pixelArea() < 2000) {
                    small++;
                }
                if (o.pixelArea() >= 20000 && o.pixelArea() <= 30000) {
                    large++;
                    assertEquals(1, scene.objects().size(), "scene " + id + ": a large object is alone");
                }
            }
            if (scene.objects().stream().map(SceneObject::shape).distinct().count() < scene.objects().size()) {
                twoOfAKind++;
            }
        }
        assertEquals(EnumSet.allOf(ShapeKind.class), shapes);
        assertEquals(EnumSet.allOf(SceneColor.class), colors);
        assertEquals(Set.of("-1", "0", "1"), aspects, "portrait, square and landscape sizes");
        assertTrue(small >= SCENES / 4, "small objects: " + small);
        assertTrue(large >= SCENES / 10, "large objects: " + large);
        assertTrue(twoOfAKind >= 3, "scenes with two of a kind: " + twoOfAKind);
    }

    /** Pixels of the object's colour within its box grown by a pixel; boxes of two objects are further apart. */
    private static int paintedPixels(Scene scene, SceneObject o) {
        int color = o.color().rgb();
        double[] b = o.outline().bbox();
        int count = 0;
        for (int y = (int) b[1] - 1; y <= (int) (b[1] + b[3]) + 1; y++) {
            for (int x = (int) b[0] - 1; x <= (int) (b[0] + b[2]) + 1; x++) {
                int pixel = scene.rgb()[y * scene.width() + x];
                if (near(pixel >> 16, color >> 16) && near(pixel >> 8, color >> 8) && near(pixel, color)) {
                    count++;
                }
            }
        }
        return count;
    }

    private static boolean near(int a, int b) {
        return Math.abs((a & 0xff) - (b & 0xff)) <= 6;
    }
}
