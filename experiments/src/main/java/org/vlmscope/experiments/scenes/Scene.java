package org.vlmscope.experiments.scenes;

import java.util.List;
import org.vlmscope.runtime.image.RgbImage;

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

    /** The picture as the image processor takes it (what decoding its PNG file gives). */
    public RgbImage image() {
        byte[] bytes = new byte[rgb.length * 3];
        for (int i = 0; i < rgb.length; i++) {
            bytes[3 * i] = (byte) (rgb[i] >> 16);
            bytes[3 * i + 1] = (byte) (rgb[i] >> 8);
            bytes[3 * i + 2] = (byte) rgb[i];
        }
        return new RgbImage(width, height, bytes);
    }

    /** The side of the centre square that a CLIP processor keeps (shortest edge). */
    public int cropSide() {
        return Math.min(width, height);
    }
}
