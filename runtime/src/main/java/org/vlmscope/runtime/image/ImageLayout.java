package org.vlmscope.runtime.image;

/**
 * How a model lays its visual tokens over an image, in the image's own pixels: the region it keeps
 * ({@code left, top, width, height}) and the grid of visual tokens spread evenly over that region. LLaVA keeps the
 * centre square and lays its fixed grid over it; Qwen2-VL keeps the whole image, resizes it by smart_resize and
 * lays one token per 28 px cell of the resized image, so its grid follows the image's size.
 */
public record ImageLayout(int left, int top, int width, int height, TokenGrid grid) {
    public ImageLayout {
        if (left < 0 || top < 0 || width <= 0 || height <= 0) {
            throw new IllegalArgumentException("an image region needs a non-negative corner and positive sides, got "
                    + left + "," + top + " " + width + "x" + height);
        }
    }

    /** The layout of each image size of one model. */
    public interface Rule {
        /** The layout over a {@code width x height} image (its decoded size, before any preprocessing). */
        ImageLayout of(int width, int height);
    }
}
