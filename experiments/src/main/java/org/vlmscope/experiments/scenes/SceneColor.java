package org.vlmscope.experiments.scenes;

/** The flat colours objects are painted in; saturated or extreme, so they stand out from the muted backgrounds. */
public enum SceneColor {
    RED("red", 220, 40, 40),
    GREEN("green", 40, 170, 60),
    BLUE("blue", 40, 80, 220),
    YELLOW("yellow", 240, 210, 40),
    PURPLE("purple", 150, 60, 190),
    ORANGE("orange", 245, 140, 30),
    WHITE("white", 245, 245, 245),
    BLACK("black", 20, 20, 20);

    private final String word;
    private final int rgb;

    SceneColor(String word, int r, int g, int b) {
        this.word = word;
        this.rgb = r << 16 | g << 8 | b;
    }

    public String word() {
        return word;
    }

    /** 0xRRGGBB. */
    public int rgb() {
        return rgb;
    }
}
