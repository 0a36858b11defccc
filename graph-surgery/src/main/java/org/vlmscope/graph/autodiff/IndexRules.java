package org.vlmscope.graph.autodiff;

import static org.vlmscope.graph.autodiff.GradientRule.onInputs;

import java.util.Map;
import org.vlmscope.graph.Ops;
import org.vlmscope.graph.Value;

/**
 * Gathers (embedding lookups, the image/text row selection): each gathered element's gradient is added back into
 * the row it came from, with ScatterND's "add" reduction so that rows read several times (a repeated token)
 * accumulate. Indices carry no gradient.
 */
final class IndexRules {
    private IndexRules() {
    }

    static void addTo(Map<String, GradientRule> rules) {
        rules.put("Gather", onInputs(IndexRules::gather, 0));
        rules.put("GatherND", onInputs(IndexRules::gatherNd, 0));
    }

    /**
     * Gather along axis 0: data[indices[...]] -> ScatterND with each index as a one-component row address. Along
     * another axis (logits at selected positions: hidden [b, s, d], positions [p], axis 1) the indices must be 1-D:
     * they are broadcast to dy's shape and added back with ScatterElements along that axis.
     */
    private static void gather(Step s) {
        long axis = s.node().intAttribute("axis", 0);
        int rank = s.ops.shapes().rank(s.in(0));
        if (axis < 0) {
            axis = rank < 0 ? axis : axis + rank;
        }
        Ops ops = s.ops.ops();
        if (axis == 0) {
            Value rows = ops.op("Unsqueeze").in(s.in(1), ops.ints(-1)).out();
            s.grad(0, scatterAdd(s, rows));
            return;
        }
        if (axis < 0 || s.ops.shapes().rank(s.in(1)) != 1) {
            throw s.unsupported("the gradient of Gather along axis " + s.node().intAttribute("axis", 0)
                    + " needs 1-D indices and data of known rank");
        }
        long[] column = new long[rank];
        java.util.Arrays.fill(column, 1);
        column[(int) axis] = -1;
        Value at = ops.op("Reshape").in(s.in(1), ops.ints(column)).out();
        Value everywhere = ops.op("Expand").in(at, s.ops.shape(s.dy())).out();
        s.grad(0, ops.op("ScatterElements").in(s.ops.zeros(s.ops.shape(s.in(0)), s.dy()), everywhere, s.dy())
                .attr("axis", axis).attr("reduction", "add").out());
    }

    /**
     * GatherND with batch_dims 0 or 1. ScatterND has no batch_dims, so for batch_dims 1 each index row is prefixed
     * with its batch number: indices [B, ..., k] become [B, ..., 1 + k].
     */
    private static void gatherNd(Step s) {
        long batchDims = s.node().intAttribute("batch_dims", 0);
        Value indices = s.in(1);
        if (batchDims == 1) {
            Ops ops = s.ops.ops();
            GradOps o = s.ops;
            Value batch = o.shape(indices, 0, 1);
            Value batchIds = ops.op("Range").in(ops.scalarInt(0), ops.op("Squeeze").in(batch, ops.ints(0)).out(),
                    ops.scalarInt(1)).out();
            // [B] -> [B, 1, ..., 1] (rank of indices) -> [B, ..., 1], one batch number per index row.
            Value rankGap = o.sub(o.shape(o.shape(indices)), ops.ints(1));
            Value column = o.reshape(batchIds, o.concat(0, batch, ops.op("Expand").in(ops.ints(1), rankGap).out()));
            Value prefix = ops.op("Expand").in(column, o.concat(0, o.shape(indices, 0, -1), ops.ints(1))).out();
            indices = o.concat(-1, prefix, indices);
        } else if (batchDims != 0) {
            throw s.unsupported("the gradient of GatherND supports batch_dims 0 and 1, not " + batchDims);
        }
        s.grad(0, scatterAdd(s, indices));
    }

    /** Zeros shaped like the data with dy added at the addresses {@code indices} (ScatterND form). */
    private static Value scatterAdd(Step s, Value indices) {
        Value data = s.in(0);
        return s.ops.ops().op("ScatterND").in(s.ops.zeros(s.ops.shape(data), s.dy()), indices, s.dy())
                .attr("reduction", "add").out();
    }
}
