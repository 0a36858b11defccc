package org.vlmscope.experiments.scenes;

import java.util.SplittableRandom;

/**
 * Textured backgrounds: a muted base colour, a soft linear gradient, two sine gratings of random direction and
 * period (stripes and ripples like floors, walls or grass) and per-pixel grain. Mid-tone and desaturated, so
 * every object colour, white and black included, stands out.
 */
final class Background {
    private static final int GRAIN = 10;

    private Background() {
    }

    static int[] paint(int width, int height, SplittableRandom random) {
        double[] base = new double[3];
        for (int c = 0; c < 3; c++) {
            base[c] = 100 + 55 * random.nextDouble();
        }
        double gradientAngle = 2 * Math.PI * random.nextDouble();
        double gradient = 25 * random.nextDouble();
        Grating first = Grating.random(random);
        Grating second = Grating.random(random);
        double[] tint = {random.nextDouble(), random.nextDouble(), random.nextDouble()};
        double diagonal = Math.hypot(width, height);
        int[] rgb = new int[width * height];
        for (int y = 0; y < height; y++) {
            for (int x = 0; x < width; x++) {
                double along = ((x - width / 2.0) * Math.cos(gradientAngle) + (y - height / 2.0)
                        * Math.sin(gradientAngle)) / diagonal;
                double texture = gradient * along + first.at(x, y) + second.at(x, y);
                int grain = random.nextInt(2 * GRAIN + 1) - GRAIN;
                int pixel = 0;
                for (int c = 0; c < 3; c++) {
                    // Each channel takes the texture at its own strength: a tinted pattern, not a grey one.
                    double value = base[c] + texture * (0.6 + 0.4 * tint[c]) + grain;
                    pixel = pixel << 8 | clamp((int) Math.round(value));
                }
                rgb[y * width + x] = pixel;
            }
        }
        return rgb;
    }

    /** 0xRRGGBB with {@code delta} added to every channel, clamped. */
    static int shift(int rgb, int delta) {
        int r = clamp((rgb >> 16 & 0xff) + delta);
        int g = clamp((rgb >> 8 & 0xff) + delta);
        int b = clamp((rgb & 0xff) + delta);
        return r << 16 | g << 8 | b;
    }

    private static int clamp(int v) {
        return Math.max(0, Math.min(255, v));
    }

    /** amplitude * sin(2 pi (x cos a + y sin a) / period + phase). */
    private record Grating(double amplitude, double cos, double sin, double period, double phase) {
        static Grating random(SplittableRandom random) {
            double angle = Math.PI * random.nextDouble();
            return new Grating(6 + 14 * random.nextDouble(), Math.cos(angle), Math.sin(angle),
                    8 + 60 * random.nextDouble(), 2 * Math.PI * random.nextDouble());
        }

        double at(int x, int y) {
            return amplitude * Math.sin(2 * Math.PI * (x * cos + y * sin) / period + phase);
        }
    }
}
