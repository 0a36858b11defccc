package org.vlmscope.experiments.scenes;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Draws synthetic scenes: a textured background of COCO-like size with one to three flat-coloured objects inside
 * the centre square (the part a CLIP processor keeps after its centre crop). Scene {@code id} of seed {@code s} is
 * a pure function of (s, id): the same pixels and polygons on every run, whatever else is generated.
 *
 * <p>Object sizes follow the paper's two selections: small objects have a painted area strictly between 1000 and
 * 2000 pixels (its target-object filter), large ones 20000 to 30000 (its logit-lens set, always alone in their
 * scene); the rest are medium (3000 to 12000).
 */
public final class SceneGenerator {
    /** Width x height pairs with COCO's aspect ratios (4:3 landscape, 3:4 portrait, square), at a scale that keeps
     * a small object a few vision patches wide once the centre square is resized for the model. */
    static final int[][] SIZES = {{320, 240}, {240, 320}, {256, 256}, {288, 288}, {352, 264}, {264, 352},
            {384, 288}, {288, 384}};
    /** Strict bounds of a small object's painted area, as the paper's filter (1000 < area < 2000). */
    public static final int SMALL_MIN_EXCLUSIVE = 1000;
    public static final int SMALL_MAX_EXCLUSIVE = 2000;
    /** Inclusive bounds of a large object's painted area, as the logit-lens selection. */
    public static final int LARGE_MIN = 20000;
    public static final int LARGE_MAX = 30000;
    private static final double SINGLE_LARGE_SHARE = 0.2;
    private static final double SMALL_SHARE = 0.45;
    private static final double TWO_OF_A_KIND_SHARE = 0.25;
    /** Pixels kept free between an object and the crop edge, and between two objects' boxes. */
    private static final int MARGIN = 4;
    private static final int GAP = 8;
    private static final int PLACEMENT_TRIES = 60;
    private static final int OBJECT_NOISE = 6;

    private final long seed;

    public SceneGenerator(long seed) {
        this.seed = seed;
    }

    /** A generator for one (seed, id, purpose): independent streams, so adding a draw to one changes no other. */
    static SplittableRandom random(long seed, int id, int purpose) {
        long mixed = seed * 0x9E37_79B9_7F4A_7C15L + id * 0xBF58_476D_1CE4_E5B9L + purpose * 0x94D0_49BB_1331_11EBL;
        return new SplittableRandom(mixed);
    }

    public long seed() {
        return seed;
    }

    public Scene scene(int id) {
        SplittableRandom random = random(seed, id, 0);
        int[] size = SIZES[random.nextInt(SIZES.length)];
        int width = size[0];
        int height = size[1];
        int[] rgb = Background.paint(width, height, random);
        List<SceneObject> objects = layout(width, height, random);
        while (objects.isEmpty()) {
            // Every placement failed (a large object drawn into a small crop): draw the layout again.
            objects = layout(width, height, random);
        }
        for (SceneObject object : objects) {
            paint(rgb, width, height, object, random);
        }
        List<SceneObject> leftToRight = new ArrayList<>(objects);
        leftToRight.sort(Comparator.comparingDouble(SceneObject::centerX));
        return new Scene(id, width, height, rgb, leftToRight);
    }

    private enum Size { SMALL, MEDIUM, LARGE }

    private static List<SceneObject> layout(int width, int height, SplittableRandom random) {
        List<Size> sizes = new ArrayList<>();
        if (random.nextDouble() < SINGLE_LARGE_SHARE) {
            sizes.add(Size.LARGE);
        } else {
            int count = 1 + random.nextInt(3);
            for (int i = 0; i < count; i++) {
                sizes.add(random.nextDouble() < SMALL_SHARE ? Size.SMALL : Size.MEDIUM);
            }
        }
        ShapeKind[] shapes = ShapeKind.values();
        SceneColor[] colors = SceneColor.values();
        boolean twoOfAKind = sizes.size() >= 2 && random.nextDouble() < TWO_OF_A_KIND_SHARE;
        List<SceneObject> placed = new ArrayList<>();
        for (int i = 0; i < sizes.size(); i++) {
            ShapeKind shape = twoOfAKind && i == 1 && !placed.isEmpty() ? placed.get(0).shape()
                    : shapes[random.nextInt(shapes.length)];
            SceneColor color = colors[random.nextInt(colors.length)];
            // No two objects share shape and colour, so every phrase in a description names one object.
            while (sameKind(placed, shape, color)) {
                color = colors[random.nextInt(colors.length)];
            }
            SceneObject object = place(shape, color, sizes.get(i), width, height, placed, random);
            if (object != null) {
                placed.add(object);
            }
        }
        return placed;
    }

    private static boolean sameKind(List<SceneObject> placed, ShapeKind shape, SceneColor color) {
        return placed.stream().anyMatch(o -> o.shape() == shape && o.color() == color);
    }

    /** A non-overlapping placement inside the centre square, or null when none was found. */
    private static SceneObject place(ShapeKind shape, SceneColor color, Size size, int width, int height,
                                     List<SceneObject> placed, SplittableRandom random) {
        int crop = Math.min(width, height);
        int left = (width - crop) / 2;
        int top = (height - crop) / 2;
        double[] unit = shape.unitOutline();
        double unitArea = new Polygon(unit).area();
        for (int attempt = 0; attempt < PLACEMENT_TRIES; attempt++) {
            double target = switch (size) {
                case SMALL -> 1150 + 700 * random.nextDouble();
                case MEDIUM -> 3000 + 9000 * random.nextDouble();
                case LARGE -> 21000 + 8000 * random.nextDouble();
            };
            double scale = Math.sqrt(target / unitArea);
            double[] extent = new Polygon(scaled(unit, scale, 0, 0)).bbox();
            double freeX = crop - 2 * MARGIN - extent[2];
            double freeY = crop - 2 * MARGIN - extent[3];
            if (freeX < 0 || freeY < 0) {
                continue;
            }
            double cx = left + MARGIN - extent[0] + freeX * random.nextDouble();
            double cy = top + MARGIN - extent[1] + freeY * random.nextDouble();
            Polygon outline = new Polygon(scaled(unit, scale, cx, cy));
            if (placed.stream().anyMatch(o -> boxesNear(o.outline().bbox(), outline.bbox()))) {
                continue;
            }
            int area = count(outline.mask(width, height));
            boolean inRange = switch (size) {
                case SMALL -> area > SMALL_MIN_EXCLUSIVE && area < SMALL_MAX_EXCLUSIVE;
                case MEDIUM -> true;
                case LARGE -> area >= LARGE_MIN && area <= LARGE_MAX;
            };
            if (inRange) {
                return new SceneObject(shape, color, outline, area);
            }
        }
        return null;
    }

    /** The unit outline scaled and moved, each coordinate rounded to hundredths as a COCO file stores it. */
    private static double[] scaled(double[] unit, double scale, double cx, double cy) {
        double[] xy = new double[unit.length];
        for (int i = 0; i < unit.length; i += 2) {
            xy[i] = Math.round((cx + scale * unit[i]) * 100) / 100.0;
            xy[i + 1] = Math.round((cy + scale * unit[i + 1]) * 100) / 100.0;
        }
        return xy;
    }

    private static boolean boxesNear(double[] a, double[] b) {
        return a[0] - GAP < b[0] + b[2] && b[0] - GAP < a[0] + a[2] && a[1] - GAP < b[1] + b[3]
                && b[1] - GAP < a[1] + a[3];
    }

    static int count(boolean[] mask) {
        int n = 0;
        for (boolean b : mask) {
            if (b) {
                n++;
            }
        }
        return n;
    }

    /** Flat colour with a little per-pixel noise, over exactly the pixels the object's area counts. */
    private static void paint(int[] rgb, int width, int height, SceneObject object, SplittableRandom random) {
        boolean[] mask = object.outline().mask(width, height);
        int base = object.color().rgb();
        for (int i = 0; i < mask.length; i++) {
            if (mask[i]) {
                int noise = random.nextInt(2 * OBJECT_NOISE + 1) - OBJECT_NOISE;
                rgb[i] = Background.shift(base, noise);
            }
        }
    }
}
