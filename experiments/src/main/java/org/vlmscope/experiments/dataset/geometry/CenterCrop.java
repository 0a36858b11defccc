package org.vlmscope.experiments.dataset.geometry;

/**
 * The square a centre-cropping image processor keeps of a {@code width x height} image, at original resolution:
 * {@code size = min(w, h)}, {@code left = (w - size) / 2}, {@code top = (h - size) / 2} with integer division
 * (EXPERIMENTS.md, Dataset step 2).
 */
public record CenterCrop(int left, int top, int size) {

    public static CenterCrop of(int width, int height) {
        int size = Math.min(width, height);
        return new CenterCrop((width - size) / 2, (height - size) / 2, size);
    }
}
