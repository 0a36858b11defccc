package org.vlmscope.graph.passes;

import ai.onnx.proto.OnnxMl.TensorProto.DataType;
import java.util.List;
import java.util.Map;
import org.vlmscope.graph.Graph;
import org.vlmscope.core.vocab.GraphNames;
import org.vlmscope.graph.GraphException;
import org.vlmscope.graph.Node;
import org.vlmscope.graph.OnnxModel;
import org.vlmscope.graph.Ops;
import org.vlmscope.graph.TensorType;
import org.vlmscope.graph.Value;

/**
 * Logits at selected positions only: input {@code logits.positions} (int64 [positions], sequence positions, -1
 * the last) picks rows of the final-normed hidden state before the unembedding, so {@code logits} becomes
 * [batch, positions, vocab] and no [batch, sequence, vocab] tensor is computed. Every hook, the KV cache and a
 * logit lens added before or after keep the whole sequence. A gradient pass applied after this one takes a seed of
 * the restricted shape, so its backward graph starts at those positions and never spans the vocabulary at others.
 */
public record LogitPositions() implements Pass {
    public static final String INPUT = GraphNames.LOGIT_POSITIONS;
    static final String LOGITS = GraphNames.LOGITS;

    @Override
    public String name() {
        return "logit_positions";
    }

    @Override
    public Map<String, Object> describe() {
        return Map.of();
    }

    @Override
    public void apply(OnnxModel model) {
        Graph graph = model.graph();
        if (graph.value(INPUT) != null) {
            throw new GraphException("logit positions: the graph already selects logit positions (input '" + INPUT + "')");
        }
        Value logits = graph.value(LOGITS);
        if (logits == null || !graph.isGraphOutput(logits)) {
            throw new GraphException("logit positions: the graph has no output '" + LOGITS + "'");
        }
        Node unembed = unembedding(graph, logits);
        Value hidden = unembed.input(0);
        Ops ops = new Ops(graph, model.opset());
        Value positions = graph.addInput(INPUT, TensorType.of(DataType.INT64, "logit_positions"));
        Value picked = ops.op("Gather").in(hidden, positions).attr("axis", 1L).out();
        long d = graph.require(LogitLens.UNEMBED).initializer().getDims(0);
        long vocab = graph.require(LogitLens.UNEMBED).initializer().getDims(1);
        picked.setType(TensorType.of(GraphFacts.computeType(model), "batch", "logit_positions", d));
        graph.setInput(unembed, 0, picked);
        logits.setType(TensorType.of(logits.type() != null ? logits.type().elemType() : DataType.FLOAT,
                "batch", "logit_positions", vocab));
        SurgeryLog.record(model, this);
    }

    /**
     * The MatMul by the unembedding that {@code logits} comes from, through the Identity or Cast the exporter puts
     * after it; an error naming what was found otherwise (a graph that vlmscope did not export).
     */
    private static Node unembedding(Graph graph, Value logits) {
        Node node = logits.producer();
        while (node != null && List.of("Identity", "Cast").contains(node.opType())) {
            node = node.input(0).producer();
        }
        Value weight = graph.value(LogitLens.UNEMBED);
        if (node == null || !node.opType().equals("MatMul") || node.input(1) != weight) {
            throw new GraphException("logit positions: '" + LOGITS + "' is not the MatMul by the initializer '"
                    + LogitLens.UNEMBED + "' (found " + (node == null ? "a graph input" : node.opType() + " node '"
                    + node.name() + "'") + "); the pass needs the unembedding of a vlmscope export");
        }
        return node;
    }
}
