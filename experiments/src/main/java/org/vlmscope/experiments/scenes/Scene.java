package org.vlmscope.experiments.scenes;

import java.util.List;

/**
 * One generated picture: its id (1-based, the COCO image id), size, the 0xRRGGBB pixels row-major, and the
 * objects painted on it, left to right by centre.
 */
public record Scene(int id, int width, int height, int[] rgb, List<SceneObject> objects) {
    public Scene {
        if (rgb.length != width * height) {
            throw new IllegalArgumentException("expected " + width * height + " pixels, found " + rgb.length);
        }
        objects = List.copyOf(objects);
    }

    /** COCO's file name for this id: twelve digits, as in train2017. */
    public String fileName() {
        return String.format("%012d.png", id);
    }

    /** The side of the centre square that a CLIP processor keeps (shortest edge). */
    public int cropSide() {
        return Math.min(width, height);
    }
}
