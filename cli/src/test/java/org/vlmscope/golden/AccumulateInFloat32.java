package org.vlmscope.golden;

import ai.onnx.proto.OnnxMl.TensorProto.DataType;
import java.util.ArrayList;
import org.vlmscope.graph.Graph;
import org.vlmscope.graph.Node;
import org.vlmscope.graph.OnnxModel;
import org.vlmscope.graph.Ops;
import org.vlmscope.graph.Value;

/**
 * A test-only rewrite of an fp16 graph: every MatMul multiplies its fp16 operands, widened to float32, in float32 and
 * rounds the product back to fp16. That is how GPU GEMMs (and Hugging Face's fp16 reference runs) compute an fp16
 * product, whereas ONNX Runtime's CPU fp16 MatMul accumulates the sum itself in fp16: on qwen2vl-dev that alone moved
 * a vision block output by 0.035 and a greedy step's logits by 0.18 (reproduced to the digit by summing in fp16 in
 * numpy), beyond the per-store rounding {@link Tolerance#fp16} derives, while with this rewrite every tensor stays 3
 * to 6 times inside it. The rounding points of the export (which values are stored in fp16) are unchanged.
 */
final class AccumulateInFloat32 {
    private AccumulateInFloat32() {
    }

    static void rewrite(OnnxModel model) {
        Graph graph = model.graph();
        Ops ops = new Ops(graph, model.opset());
        for (Node n : new ArrayList<>(graph.nodes())) {
            if (!n.opType().equals("MatMul")) {
                continue;
            }
            Value a = ops.op("Cast").in(n.input(0)).attr("to", (long) DataType.FLOAT_VALUE).out();
            Value b = ops.op("Cast").in(n.input(1)).attr("to", (long) DataType.FLOAT_VALUE).out();
            Value product = ops.op("MatMul").in(a, b).out();
            graph.replaceAllUses(n.output(0),
                    ops.op("Cast").in(product).attr("to", (long) DataType.FLOAT16_VALUE).out());
        }
        graph.cleanup();
        graph.toposort();
    }
}
