package org.vlmscope.experiments.records;

import java.util.List;

/**
 * What the logit-lens viewer needs for one image beyond its {@link LensRecord}, written by the lens runner as
 * {@code lens/<image>.json} in the results folder before the record that names it (see {@link LensSidecars}).
 * {@code image} is the path, relative to the results folder, of the cropped image as the model saw it (PNG or
 * JPEG, square, covering the whole grid). {@code tokens[cell][layer][k]} and {@code probs[cell][layer][k]} are
 * the lens's top-k tokens (decoded text) and their probabilities, best first, for every grid cell (row-major) at
 * every residual stream.
 */
public record LensSidecar(
        String imageId,
        int gridRows,
        int gridCols,
        int layers,
        int topK,
        String image,
        List<List<List<String>>> tokens,
        List<List<List<Double>>> probs) {

    public LensSidecar {
        int cells = gridRows * gridCols;
        if (gridRows <= 0 || gridCols <= 0 || layers <= 0 || topK <= 0) {
            throw new IllegalArgumentException("lens sidecar of " + imageId + ": grid " + gridRows + "x" + gridCols
                    + ", " + layers + " layers, top-" + topK + " must all be positive");
        }
        checkShape("tokens", imageId, tokens, cells, layers, topK);
        checkShape("probs", imageId, probs, cells, layers, topK);
    }

    private static void checkShape(String name, String imageId, List<? extends List<? extends List<?>>> table,
            int cells, int layers, int topK) {
        if (table == null || table.size() != cells) {
            throw new IllegalArgumentException("lens sidecar of " + imageId + ": " + name + " has "
                    + (table == null ? "no" : table.size()) + " cells, expected " + cells);
        }
        for (int c = 0; c < cells; c++) {
            var perLayer = table.get(c);
            if (perLayer.size() != layers) {
                throw new IllegalArgumentException("lens sidecar of " + imageId + ": " + name + " of cell " + c
                        + " has " + perLayer.size() + " layers, expected " + layers);
            }
            for (int l = 0; l < layers; l++) {
                if (perLayer.get(l).size() != topK) {
                    throw new IllegalArgumentException("lens sidecar of " + imageId + ": " + name + " of cell " + c
                            + " layer " + l + " has " + perLayer.get(l).size() + " entries, expected " + topK);
                }
            }
        }
    }
}
