package org.vlmscope.graph.passes;

import ai.onnx.proto.OnnxMl.TensorProto.DataType;
import java.util.List;
import java.util.Map;
import org.vlmscope.core.vocab.GraphNames;
import org.vlmscope.core.vocab.HookName;
import org.vlmscope.graph.Graph;
import org.vlmscope.graph.GraphException;
import org.vlmscope.graph.Node;
import org.vlmscope.graph.OnnxModel;
import org.vlmscope.graph.Ops;
import org.vlmscope.graph.TensorType;
import org.vlmscope.graph.Value;
import org.vlmscope.graph.locate.Location;

/**
 * The attention-bias pass: for each listed layer, input {@code blocks.{i}.attn.bias} (compute type,
 * broadcastable to [batch, heads, query, key]) added to the masked scores before Softmax. The key axis is
 * past + new positions, so it works with the KV cache. Knockout is a bias of -inf (or the dtype's lowest
 * finite value) at the blocked (query, key) pairs. The biased scores take the hook name
 * {@code blocks.{i}.attn.hook_attn_scores}; the unbiased ones stay readable as {@code ...hook_attn_scores.unbiased}.
 */
public record AttentionBias(List<Integer> layers) implements Pass {
    public AttentionBias {
        layers = List.copyOf(layers);
    }

    public static String inputName(int layer) {
        return GraphNames.attentionBias(layer);
    }

    @Override
    public String name() {
        return "attention_bias";
    }

    @Override
    public Map<String, Object> describe() {
        return Map.of("layers", layers);
    }

    @Override
    public void apply(OnnxModel model) {
        Graph graph = model.graph();
        int count = GraphFacts.layers(model);
        List<String> hooks = Hooks.of(model);
        long found = hooks.stream().filter(h -> h.matches(HookName.ATTN_SCORES_REGEX)).count();
        if (found != count) {
            Location located = Location.read(model);
            String why = located == null ? null : located.unavailable().get(HookName.everyLayer(HookName.attnScores(0)));
            throw new GraphException("attention bias: found " + found + " attention-score hooks for a " + count
                    + "-layer model" + (why == null ? "" : " (" + why + ")"));
        }
        DataType compute = GraphFacts.computeType(model);
        Ops ops = new Ops(graph, model.opset());
        for (int layer : layers) {
            if (layer < 0 || layer >= count) {
                throw new GraphException("attention bias: layer " + layer + " is out of range; the model has layers 0-"
                        + (count - 1));
            }
            String hook = HookName.attnScores(layer);
            if (graph.value(inputName(layer)) != null) {
                throw new GraphException("attention bias: layer " + layer + " already has a bias input");
            }
            Value scores = graph.require(hook);
            Value bias = graph.addInput(inputName(layer), new TensorType(compute, null));
            graph.rename(scores, GraphNames.unbiased(hook));
            Node add = ops.op("Add").in(scores, bias).build(List.of(graph.newValue(hook, scores.type())));
            graph.replaceUses(scores, add.output(0), n -> n != add);
            if (graph.isGraphOutput(scores)) {
                graph.removeOutput(scores);
                graph.addOutput(add.output(0));
            }
        }
        SurgeryLog.record(model, this);
    }
}
