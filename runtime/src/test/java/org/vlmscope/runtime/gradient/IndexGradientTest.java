package org.vlmscope.runtime.gradient;

import static org.vlmscope.runtime.gradient.GradCheck.dims;
import static org.vlmscope.runtime.gradient.GradCheck.feeds;

import ai.onnx.proto.OnnxMl.TensorProto.DataType;
import org.junit.jupiter.api.Test;
import org.vlmscope.graph.Ops;
import org.vlmscope.graph.Value;
import org.vlmscope.runtime.gradient.GradCheck.Feed;

/**
 * Gather rules against central differences in double precision. Indices repeat (a token used twice must collect
 * both gradients) and are negative where the op allows it.
 */
class IndexGradientTest {

    private static Value square(Ops ops, Value v) {
        return ops.op("Mul").in(v, v).out();
    }

    /** An embedding lookup: table [vocab, d], ids [b, s]. */
    @Test
    void gatherAddsIntoTheRowsItRead() {
        GradCheck check = GradCheck.inDouble(b -> square(b.ops(), b.ops().op("Gather")
                .in(b.input("table", "vocab", 3), b.input("ids", DataType.INT64, "b", "s")).attr("axis", 0L).out()));
        check.verify("table", feeds("table", dims(5, 3), "ids", Feed.ints(dims(2, 3), 1, 4, 1, -1, 0, 1)));
        check.verify("table", feeds("table", dims(7, 3), "ids", Feed.ints(dims(1, 4), 6, 6, -7, 2)));
    }

    /** Logits at selected positions: hidden [b, s, d] gathered along axis 1 by 1-D positions (repeated, negative). */
    @Test
    void gatherAlongTheSequenceAxis() {
        GradCheck check = GradCheck.inDouble(b -> square(b.ops(), b.ops().op("Gather")
                .in(b.input("hidden", "b", "s", 3), b.input("positions", DataType.INT64, "p")).attr("axis", 1L).out()));
        check.verify("hidden", feeds("hidden", dims(2, 5, 3), "positions", Feed.ints(dims(3), -1, 2, 2)));
        check.verify("hidden", feeds("hidden", dims(1, 4, 3), "positions", Feed.ints(dims(1), 0)));
    }

    /** The embed graph's row selection: source [b, rows, d], row per position [b, s, 1], batch_dims 1. */
    @Test
    void gatherNdWithBatchDims() {
        GradCheck check = GradCheck.inDouble(b -> square(b.ops(), b.ops().op("GatherND")
                .in(b.input("source", "b", "rows", 2), b.input("row", DataType.INT64, "b", "s", 1))
                .attr("batch_dims", 1L).out()));
        check.verify("source", feeds("source", dims(2, 4, 2), "row", Feed.ints(dims(2, 3, 1), 3, 0, 3, 1, 1, 2)));
        check.verify("source", feeds("source", dims(1, 3, 2), "row", Feed.ints(dims(1, 5, 1), 2, 2, 0, 1, 2)));
    }

    /** Without batch dims: index rows of two components pick vectors out of [n, m, d]. */
    @Test
    void gatherNdWithoutBatchDims() {
        GradCheck check = GradCheck.inDouble(b -> square(b.ops(), b.ops().op("GatherND")
                .in(b.input("data", "n", "m", 2), b.input("at", DataType.INT64, "k", 2)).out()));
        check.verify("data", feeds("data", dims(2, 3, 2), "at", Feed.ints(dims(3, 2), 1, 2, 0, 0, 1, 2)));
        check.verify("data", feeds("data", dims(3, 2, 2), "at", Feed.ints(dims(2, 2), 2, 1, 0, 1)));
    }
}
