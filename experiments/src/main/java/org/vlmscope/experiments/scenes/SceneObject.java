package org.vlmscope.experiments.scenes;

/**
 * One painted object: its category, colour, outline (the COCO polygon, coordinates rounded to hundredths as COCO
 * writes them, and exactly what was painted) and its area in pixels as painted (the COCO {@code area}).
 */
public record SceneObject(ShapeKind shape, SceneColor color, Polygon outline, int pixelArea) {
    /** The centre of the bounding box, in pixels: what "left", "right", "top" and "bottom" compare. */
    public double centerX() {
        double[] b = outline.bbox();
        return b[0] + b[2] / 2;
    }

    public double centerY() {
        double[] b = outline.bbox();
        return b[1] + b[3] / 2;
    }

    /** "red star". */
    public String phrase() {
        return color.word() + " " + shape.word();
    }
}
