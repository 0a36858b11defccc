package org.vlmscope.experiments.scenes;

import java.util.ArrayList;
import java.util.List;

/**
 * The object categories of the synthetic scenes. Each is a polygon outline in a unit frame (x right, y down,
 * centred on the origin, about 2 wide), scaled to the area a scene asks for. Names are single lowercase words, so
 * a model's tokenizer can hold each as one token and the COCO category name is the word a prompt uses.
 */
public enum ShapeKind {
    CIRCLE("circle"),
    SQUARE("square"),
    TRIANGLE("triangle"),
    STAR("star"),
    CROSS("cross"),
    HEART("heart"),
    DIAMOND("diamond"),
    MOON("moon");

    /** Vertices of the curved outlines (circle, heart, each arc of the moon). */
    private static final int CURVE_POINTS = 48;

    private final String word;

    ShapeKind(String word) {
        this.word = word;
    }

    /** The category name: the word used in captions, questions and the COCO categories. */
    public String word() {
        return word;
    }

    /** The outline as x0, y0, x1, y1, ... in the unit frame, counter-clockwise on screen. */
    double[] unitOutline() {
        return switch (this) {
            case CIRCLE -> ellipse(1, 1);
            case SQUARE -> new double[] {-1, -1, -1, 1, 1, 1, 1, -1};
            case TRIANGLE -> new double[] {0, -1, -1.1547, 1, 1.1547, 1};
            case STAR -> star();
            case CROSS -> cross();
            case HEART -> heart();
            case DIAMOND -> new double[] {0, -1.2, -0.8, 0, 0, 1.2, 0.8, 0};
            case MOON -> moon();
        };
    }

    private static double[] ellipse(double rx, double ry) {
        double[] xy = new double[2 * CURVE_POINTS];
        for (int i = 0; i < CURVE_POINTS; i++) {
            double a = 2 * Math.PI * i / CURVE_POINTS;
            xy[2 * i] = rx * Math.cos(a);
            xy[2 * i + 1] = ry * Math.sin(a);
        }
        return xy;
    }

    /** Five points, inner radius 0.45 of the outer, one point straight up. */
    private static double[] star() {
        double[] xy = new double[20];
        for (int i = 0; i < 10; i++) {
            double r = i % 2 == 0 ? 1 : 0.45;
            double a = -Math.PI / 2 + Math.PI * i / 5;
            xy[2 * i] = r * Math.cos(a);
            xy[2 * i + 1] = r * Math.sin(a);
        }
        return xy;
    }

    /** A plus sign whose arms are a third of its width. */
    private static double[] cross() {
        double a = 1.0 / 3;
        return new double[] {-a, -1, -a, -a, -1, -a, -1, a, -a, a, -a, 1, a, 1, a, a, 1, a, 1, -a, a, -a, a, -1};
    }

    /** The classic parametric heart (16 sin^3 t, 13 cos t - 5 cos 2t - 2 cos 3t - cos 4t), point down. */
    private static double[] heart() {
        double[] xy = new double[2 * CURVE_POINTS];
        for (int i = 0; i < CURVE_POINTS; i++) {
            double t = 2 * Math.PI * i / CURVE_POINTS;
            double s = Math.sin(t);
            xy[2 * i] = 16 * s * s * s / 16;
            xy[2 * i + 1] = -(13 * Math.cos(t) - 5 * Math.cos(2 * t) - 2 * Math.cos(3 * t) - Math.cos(4 * t)) / 16;
        }
        return xy;
    }

    /**
     * A crescent opening to the right: the unit disc minus the unit disc shifted right by 0.6. The two circles
     * cross at x = 0.3; the outline runs along the outer circle's left side, then back along the inner one's.
     */
    private static double[] moon() {
        double shift = 0.6;
        double cross = Math.acos(shift / 2);
        List<Double> xy = new ArrayList<>();
        for (int i = 0; i <= CURVE_POINTS; i++) {
            double a = cross + (2 * Math.PI - 2 * cross) * i / CURVE_POINTS;
            xy.add(Math.cos(a));
            xy.add(Math.sin(a));
        }
        double innerCross = Math.PI - cross;
        for (int i = CURVE_POINTS - 1; i >= 1; i--) {
            double a = innerCross + (2 * Math.PI - 2 * innerCross) * i / CURVE_POINTS;
            xy.add(shift + Math.cos(a));
            xy.add(Math.sin(a));
        }
        return xy.stream().mapToDouble(Double::doubleValue).toArray();
    }
}
