package org.vlmscope.graph.passes;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.vlmscope.core.vocab.GraphNames;
import org.vlmscope.core.vocab.HookName;
import org.vlmscope.graph.Graph;
import org.vlmscope.graph.GraphException;
import org.vlmscope.graph.Node;
import org.vlmscope.graph.OnnxModel;
import org.vlmscope.graph.TensorType;
import org.vlmscope.graph.Value;

/**
 * The decoder from layer {@code layer} on: {@code blocks.{layer}.hook_resid_pre} becomes an input of that name,
 * and everything that only led to it goes (the earlier layers, their KV-cache and attention-bias inputs, their
 * hooks and KV-cache outputs). A condition that changes nothing before layer {@code layer} (a knockout in a late
 * window) then runs from the clean residual stream there, computed once, instead of from the embeddings.
 *
 * <p>The decoder reads its sequence length from the shape of {@code inputs_embeds}; the residual stream has that
 * shape, so those reads move to the new input. Apply this pass last: passes after it would look for hooks of the
 * removed layers.
 */
public record StartAt(int layer) implements Pass {
    @Override
    public String name() {
        return "start_at";
    }

    @Override
    public Map<String, Object> describe() {
        return Map.of("layer", layer);
    }

    @Override
    public void apply(OnnxModel model) {
        Graph graph = model.graph();
        int layers = GraphFacts.layers(model);
        if (layer < 1 || layer >= layers) {
            throw new GraphException("start at layer " + layer + ": expected a layer from 1 to " + (layers - 1)
                    + " of this " + layers + "-layer decoder (layer 0 is the whole decoder)");
        }
        String hook = HookName.residPre(layer);
        Value computed = graph.value(hook);
        Value embeds = graph.value(GraphNames.INPUTS_EMBEDS);
        if (computed == null || embeds == null || !graph.isGraphInput(embeds)) {
            throw new GraphException("start at layer " + layer + ": the graph needs the input '"
                    + GraphNames.INPUTS_EMBEDS + "' and the tensor '" + hook + "'; is it a decoder vlmscope exported?");
        }
        graph.rename(computed, graph.uniqueName(hook + ".computed"));
        TensorType type = computed.type() != null ? computed.type() : embeds.type();
        Value start = graph.addInput(hook, type != null ? type : new TensorType(GraphFacts.computeType(model), null));
        graph.replaceUses(computed, start, n -> true);
        if (graph.isGraphOutput(computed)) {
            graph.removeOutput(computed);
            graph.addOutput(start);
        }
        for (Node reader : new ArrayList<>(embeds.consumers())) {
            if (reader.opType().equals("Shape")) {
                graph.setInput(reader, 0, start);
            }
        }
        // What is still computed from the embeddings belongs to the removed layers.
        Set<Value> early = computedFrom(embeds);
        for (Value out : new ArrayList<>(graph.outputs())) {
            if (early.contains(out)) {
                graph.removeOutput(out);
            }
        }
        graph.cleanup();
        if (graph.isGraphInput(embeds)) {
            throw new GraphException("start at layer " + layer + ": after the cut the graph still reads '"
                    + GraphNames.INPUTS_EMBEDS + "' other than for its shape");
        }
        List<String> kept = Hooks.of(model).stream().filter(h -> graph.value(h) != null).toList();
        model.metadata().put(Hooks.METADATA_KEY, String.join(",", kept));
        SurgeryLog.record(model, this);
    }

    /** Every tensor computed from {@code source}, following readers forward. */
    private static Set<Value> computedFrom(Value source) {
        Set<Value> reached = Collections.newSetFromMap(new IdentityHashMap<>());
        ArrayDeque<Value> work = new ArrayDeque<>(List.of(source));
        while (!work.isEmpty()) {
            for (Node reader : work.poll().consumers()) {
                for (Value out : reader.outputs()) {
                    if (reached.add(out)) {
                        work.add(out);
                    }
                }
            }
        }
        return reached;
    }
}
