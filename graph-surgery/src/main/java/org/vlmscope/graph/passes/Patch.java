package org.vlmscope.graph.passes;

import ai.onnx.proto.OnnxMl.TensorProto.DataType;
import java.util.List;
import java.util.Map;
import org.vlmscope.core.vocab.GraphNames;
import org.vlmscope.graph.Graph;
import org.vlmscope.graph.GraphException;
import org.vlmscope.graph.Node;
import org.vlmscope.graph.OnnxModel;
import org.vlmscope.graph.Ops;
import org.vlmscope.graph.TensorType;
import org.vlmscope.graph.Value;

/**
 * The patch pass: for each hook h, inputs {@code h.patch_value} and {@code h.patch_mask} (both broadcastable to
 * h) and {@code h' = h + mask * (value - h)} spliced in front of every consumer. The spliced tensor takes the
 * hook's name, so downstream hooks, exposed outputs and later passes all see the patched activation; the
 * original stays readable as {@code h.clean}. Embedding replacement is {@code patch(blocks.0.hook_resid_pre)}.
 */
public record Patch(List<String> hooks) implements Pass {
    public Patch {
        hooks = List.copyOf(hooks);
    }

    @Override
    public String name() {
        return "patch";
    }

    @Override
    public Map<String, Object> describe() {
        return Map.of("hooks", hooks);
    }

    @Override
    public void apply(OnnxModel model) {
        Graph graph = model.graph();
        List<String> known = Hooks.of(model);
        Ops ops = new Ops(graph, model.opset());
        for (String hook : hooks) {
            if (!known.contains(hook)) {
                throw new GraphException("unknown hook '" + hook + "' for patch; this graph's hooks look like "
                        + known.subList(0, Math.min(6, known.size())));
            }
            if (graph.value(GraphNames.clean(hook)) != null) {
                throw new GraphException("hook '" + hook + "' is already patched");
            }
            Value h = graph.require(hook);
            TensorType type = h.type();
            DataType elem = type != null ? type.elemType() : GraphFacts.computeType(model);
            Value value = graph.addInput(GraphNames.patchValue(hook), type != null ? type : new TensorType(elem, null));
            Value mask = graph.addInput(GraphNames.patchMask(hook), new TensorType(elem, null));
            graph.rename(h, GraphNames.clean(hook));
            Value delta = ops.op("Sub").in(value, h).out();
            Value scaled = ops.op("Mul").in(mask, delta).out();
            Node splice = ops.op("Add").in(h, scaled).build(List.of(graph.newValue(hook, type)));
            Value patched = splice.output(0);
            graph.replaceUses(h, patched, n -> n != splice && n != delta.producer());
            if (graph.isGraphOutput(h)) {
                graph.removeOutput(h);
                graph.addOutput(patched);
            }
        }
        SurgeryLog.record(model, this);
    }
}
