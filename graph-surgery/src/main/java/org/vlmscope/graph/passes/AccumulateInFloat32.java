package org.vlmscope.graph.passes;

import ai.onnx.proto.OnnxMl.TensorProto.DataType;
import java.util.ArrayList;
import java.util.Map;
import org.vlmscope.graph.Graph;
import org.vlmscope.graph.Node;
import org.vlmscope.graph.OnnxModel;
import org.vlmscope.graph.Ops;
import org.vlmscope.graph.Value;
import org.vlmscope.graph.locate.ElementTypes;

/**
 * Every MatMul of two fp16 operands computes in float32: both operands are widened, multiplied in float32 and the
 * product rounded back to fp16, so only the stored values are fp16. That is how GPU GEMMs (ONNX Runtime's CUDA
 * MatMul by default) and Hugging Face's fp16 runs compute an fp16 product, whereas ONNX Runtime's CPU provider fuses
 * an fp16 MatMul and the bias Add after it into a Gemm that sums in fp16: on the qwen2vl-dev fixture (linear layers
 * with biases) that moved a vision block's output by 0.035 and a greedy step's logits by 0.18, more than the
 * rounding of the stored values explains. The runtime applies this pass to every graph it opens on the CPU
 * provider (no-op for float32 graphs). MatMuls whose operand types do not follow from the graph are left as they
 * are.
 */
public record AccumulateInFloat32() implements Pass {
    @Override
    public String name() {
        return "accumulate_in_float32";
    }

    @Override
    public Map<String, Object> describe() {
        return Map.of();
    }

    @Override
    public void apply(OnnxModel model) {
        Graph graph = model.graph();
        if (!ElementTypes.mayHold(graph, DataType.FLOAT16)) {
            return; // a float32 graph is left exactly as it was, node order included
        }
        graph.toposort();
        ElementTypes types = new ElementTypes(graph);
        Ops ops = new Ops(graph, model.opset());
        boolean changed = false;
        for (Node n : new ArrayList<>(graph.nodes())) {
            if (!n.opType().equals("MatMul") || !isHalf(types, n.input(0)) || !isHalf(types, n.input(1))) {
                continue;
            }
            // The rounded product takes the MatMul's name: hooks and graph outputs keep naming what flows on.
            Value summedInHalf = n.output(0);
            String name = summedInHalf.name();
            graph.rename(summedInHalf, graph.uniqueName(name + ".summed_in_fp16"));
            Value product = ops.op("MatMul").in(widen(ops, n.input(0)), widen(ops, n.input(1)))
                    .out(graph.uniqueName(name + ".in_float32"));
            Value rounded = ops.op("Cast").in(product).attr("to", (long) DataType.FLOAT16_VALUE).out(name);
            rounded.setType(summedInHalf.type());
            graph.replaceAllUses(summedInHalf, rounded);
            changed = true;
        }
        if (changed) {
            graph.cleanup();
            graph.toposort();
            SurgeryLog.record(model, this);
        }
    }

    private static boolean isHalf(ElementTypes types, Value v) {
        return v != null && types.of(v) == DataType.FLOAT16;
    }

    private static Value widen(Ops ops, Value v) {
        return ops.op("Cast").in(v).attr("to", (long) DataType.FLOAT_VALUE).out();
    }
}
