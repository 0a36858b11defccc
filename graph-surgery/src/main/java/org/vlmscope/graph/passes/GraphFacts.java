package org.vlmscope.graph.passes;

import ai.onnx.proto.OnnxMl.TensorProto.DataType;
import org.vlmscope.core.vocab.MetadataKeys;
import org.vlmscope.graph.GraphException;
import org.vlmscope.graph.OnnxModel;

/** Facts the exporter records in a graph's metadata_props, read back by passes to check what they matched. */
final class GraphFacts {
    private GraphFacts() {
    }

    static String require(OnnxModel model, String key) {
        String v = model.metadata().get(key);
        if (v == null) {
            throw new GraphException("the graph has no metadata '" + key + "'; was it written by 'vlmscope export'? "
                    + "(a graph from another exporter needs its hooks located first)");
        }
        return v;
    }

    static int layers(OnnxModel model) {
        return Integer.parseInt(require(model, MetadataKeys.LAYERS));
    }

    static double rmsNormEps(OnnxModel model) {
        return Double.parseDouble(require(model, MetadataKeys.RMS_NORM_EPS));
    }

    /** The final norm's weight: the exporter's name, or the tensor the locator found in a foreign graph. */
    static String finalNormWeight(OnnxModel model) {
        return model.metadata().getOrDefault(MetadataKeys.FINAL_NORM_WEIGHT, LogitLens.NORM_WEIGHT);
    }

    /** The unembedding [d_model, vocab]: the exporter's name, or the tensor the locator found in a foreign graph. */
    static String unembed(OnnxModel model) {
        return model.metadata().getOrDefault(MetadataKeys.UNEMBED, LogitLens.UNEMBED);
    }

    /** Element type of activations inside the graph. */
    static DataType computeType(OnnxModel model) {
        return switch (require(model, MetadataKeys.COMPUTE_TYPE)) {
            case "fp16" -> DataType.FLOAT16;
            case "fp32" -> DataType.FLOAT;
            default -> throw new GraphException("unknown " + MetadataKeys.COMPUTE_TYPE + " " + model.metadata().get(MetadataKeys.COMPUTE_TYPE));
        };
    }
}
