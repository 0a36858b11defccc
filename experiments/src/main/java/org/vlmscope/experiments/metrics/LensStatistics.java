package org.vlmscope.experiments.metrics;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import org.vlmscope.core.VlmscopeException;
import org.vlmscope.experiments.records.ExperimentRecord;
import org.vlmscope.experiments.records.LensRecord;

/**
 * Section 4.1's figures over the lens records: the mean of each image's best-layer fraction (paper: 23.7%), the
 * mean best layer (paper: 25.7 of 33 residual streams, 0 = embedding output), and the per-layer curve (the
 * mean fraction at each layer), each with a 95% t interval.
 */
public record LensStatistics(int images, int layers, MeanEstimate bestFraction, MeanEstimate bestLayer,
        List<MeanEstimate> perLayer) {

    public static LensStatistics compute(Collection<? extends ExperimentRecord> records) {
        List<LensRecord> lens = new ArrayList<>();
        for (ExperimentRecord r : records) {
            if (r instanceof LensRecord l) {
                lens.add(l);
            }
        }
        int layers = lens.isEmpty() ? 0 : lens.get(0).layerFractions().size();
        List<Double> best = new ArrayList<>();
        List<Double> bestLayer = new ArrayList<>();
        List<List<Double>> byLayer = new ArrayList<>();
        for (int l = 0; l < layers; l++) {
            byLayer.add(new ArrayList<>());
        }
        for (LensRecord r : lens) {
            if (r.layerFractions().size() != layers) {
                throw new VlmscopeException("lens record of image " + r.imageId() + " has "
                        + r.layerFractions().size() + " layer fractions where image " + lens.get(0).imageId()
                        + " has " + layers + ": records of different models");
            }
            best.add(r.bestFraction());
            bestLayer.add((double) r.bestLayer());
            for (int l = 0; l < layers; l++) {
                byLayer.get(l).add(r.layerFractions().get(l));
            }
        }
        List<MeanEstimate> curve = new ArrayList<>();
        for (List<Double> values : byLayer) {
            curve.add(MeanEstimate.of(values));
        }
        return new LensStatistics(lens.size(), layers, MeanEstimate.of(best), MeanEstimate.of(bestLayer), curve);
    }
}
