package org.vlmscope.experiments.dataset;

import java.util.SplittableRandom;
import org.vlmscope.experiments.dataset.geometry.TokenGrid;
import org.vlmscope.runtime.image.RgbImage;

/**
 * The hallucination filter's masked image (EXPERIMENTS.md, Dataset step 5): the centre crop with uniform noise
 * pasted into every object cell. Code fidelity follows the paper's code: one block of {@code p x p} pixels
 * ({@code p = crop / grid}) is drawn per image, each channel {@code floor(u * 255)} as numpy's
 * {@code (rand() * 255).astype(uint8)} gives (0..254), and pasted into every cell. Paper fidelity draws fresh
 * noise over 0..255 for each pixel of each exact cell. The noise is seeded per image: the same seed and image give
 * the same mask in any order and on any machine.
 */
public final class NoiseMask {
    private NoiseMask() {
    }

    /**
     * The region of {@code image} described by {@code record} (its crop; the whole image for a model with a grid per
     * image, whose cells are always exact), with noise in its object cells.
     */
    public static RgbImage apply(RgbImage image, DatasetRecord record, long seed) {
        int[] region = record.region();
        int size = region[2];
        int height = region[3];
        RgbImage out = image.pastedOnto(size, height, new int[3], -region[0], -region[1]);
        TokenGrid grid = record.tokenGrid();
        SplittableRandom random = new SplittableRandom(seed ^ 0x9E3779B97F4A7C15L * (record.imageId() + 1));
        if ("code".equals(record.fidelity()) && record.crop() != null) {
            int p = size / grid.side();
            byte[] block = new byte[p * p * 3];
            for (int i = 0; i < block.length; i++) {
                block[i] = (byte) (int) (random.nextDouble() * 255);
            }
            for (int cell : record.objectCells()) {
                int[] b = grid.pixelBounds(cell, size, true);
                for (int y = 0; y < p; y++) {
                    System.arraycopy(block, y * p * 3, out.rgb(), ((b[1] + y) * size + b[0]) * 3, p * 3);
                }
            }
        } else {
            for (int cell : record.objectCells()) {
                int[] b = grid.pixelBounds(cell, size, height, false);
                for (int y = b[1]; y < b[3]; y++) {
                    for (int x = b[0]; x < b[2]; x++) {
                        for (int c = 0; c < 3; c++) {
                            out.rgb()[(y * size + x) * 3 + c] = (byte) random.nextInt(256);
                        }
                    }
                }
            }
        }
        return out;
    }
}
