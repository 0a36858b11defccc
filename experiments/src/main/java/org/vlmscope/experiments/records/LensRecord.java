package org.vlmscope.experiments.records;

import java.util.List;

/**
 * The logit lens on one image (section 4.1). {@code layerFractions[l]} is the fraction of the object cells whose
 * top-1 lens token at residual stream {@code l} (0 = embedding output, then one per decoder layer) matches the
 * object under {@code matchRule}; {@code target} is the text the rule matched against (e.g. the object's first
 * sub-word). The grid is the image's own ({@code gridRows} x {@code gridCols}; 24 x 24 for LLaVA-1.5, other
 * sizes elsewhere) and {@code objectCells} are row-major cell indices on it. {@code sidecar} is the path, relative
 * to the results folder, of the {@link LensSidecar} the viewer reads, or null when none was written.
 */
public record LensRecord(
        String imageId,
        String object,
        String target,
        String matchRule,
        int gridRows,
        int gridCols,
        List<Integer> objectCells,
        List<Double> layerFractions,
        int bestLayer,
        double bestFraction,
        String sidecar) implements ExperimentRecord {
    public static final String KIND = "lens";

    public LensRecord {
        objectCells = List.copyOf(objectCells);
        layerFractions = List.copyOf(layerFractions);
        if (gridRows <= 0 || gridCols <= 0) {
            throw new IllegalArgumentException("grid " + gridRows + "x" + gridCols + " is empty");
        }
        for (int cell : objectCells) {
            if (cell < 0 || cell >= gridRows * gridCols) {
                throw new IllegalArgumentException("object cell " + cell + " is outside the "
                        + gridRows + "x" + gridCols + " grid");
            }
        }
        if (bestLayer < 0 || bestLayer >= layerFractions.size()
                || Double.compare(layerFractions.get(bestLayer), bestFraction) != 0) {
            throw new IllegalArgumentException("best layer " + bestLayer + " (fraction " + bestFraction
                    + ") is not an entry of layer_fractions " + layerFractions);
        }
    }

    /** A record whose best layer is the first layer with the highest fraction. */
    public static LensRecord of(String imageId, String object, String target, String matchRule, int gridRows,
            int gridCols, List<Integer> objectCells, List<Double> layerFractions, String sidecar) {
        if (layerFractions.isEmpty()) {
            throw new IllegalArgumentException("no layer fractions for image " + imageId);
        }
        int best = 0;
        for (int l = 1; l < layerFractions.size(); l++) {
            if (layerFractions.get(l) > layerFractions.get(best)) {
                best = l;
            }
        }
        return new LensRecord(imageId, object, target, matchRule, gridRows, gridCols, objectCells, layerFractions,
                best, layerFractions.get(best), sidecar);
    }

    @Override
    public String key() {
        return ExperimentRecord.key(KIND, imageId);
    }
}
