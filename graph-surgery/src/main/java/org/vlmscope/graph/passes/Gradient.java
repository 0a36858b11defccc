package org.vlmscope.graph.passes;

import java.util.LinkedHashMap;
import java.util.Map;
import org.vlmscope.core.vocab.GraphNames;
import org.vlmscope.graph.ElemTypes;
import org.vlmscope.graph.Graph;
import org.vlmscope.graph.GraphException;
import org.vlmscope.graph.OnnxModel;
import org.vlmscope.graph.Ops;
import org.vlmscope.graph.Value;
import org.vlmscope.graph.autodiff.ReverseMode;

/**
 * The gradient pass: reverse-mode autodiff appended to the graph, so forward and backward run in one ONNX Runtime
 * call. Input {@code grad.seed} has the shape and element type of the differentiated output {@code of} (by
 * default {@code logits}); the differentiated scalar is sum(seed * of), so one logit, a logit difference or a whole
 * position are all seeds. After {@link LogitPositions} the logits, and so the seed, cover only the selected
 * positions [batch, positions, vocab]: the backward graph then starts from those rows (the target position of an
 * attribution) and never builds a [batch, sequence, vocab] tensor. Output {@code grad.{wrt}} has the shape and element type of {@code wrt}, a graph input
 * such as {@code inputs_embeds} or any hook. Passes applied before it (patch, attention bias) are differentiated
 * through like the rest of the graph. Every op the exporter writes on a differentiable path has a rule
 * ({@code org.vlmscope.graph.autodiff}) except the vision tower's patch-embedding Conv, so vision gradients reach
 * {@code vision.hook_embed} but not {@code pixel_values}.
 */
public record Gradient(String wrt, String of) implements Pass {
    public static final String SEED = "grad.seed";
    public static final String DEFAULT_OF = GraphNames.LOGITS;
    /** Shape with start/end (15), CastLike (15) and ScatterND's add reduction (16) are used by the rules. */
    static final long MIN_OPSET = 16;

    public Gradient {
        if (wrt == null || wrt.isEmpty() || of == null || of.isEmpty()) {
            throw new GraphException("gradient: both the differentiated tensor and the tensor it is taken with "
                    + "respect to must be named");
        }
    }

    /** The gradient of the logits with respect to {@code wrt}. */
    public Gradient(String wrt) {
        this(wrt, DEFAULT_OF);
    }

    /** The output that carries the gradient with respect to {@code wrt}. */
    public static String outputName(String wrt) {
        return "grad." + wrt;
    }

    @Override
    public String name() {
        return "gradient";
    }

    @Override
    public Map<String, Object> describe() {
        // Ordered, so that the recorded JSON (which identifies a variant) is the same in every run.
        Map<String, Object> d = new LinkedHashMap<>();
        d.put("wrt", wrt);
        d.put("of", of);
        return d;
    }

    @Override
    public void apply(OnnxModel model) {
        Graph graph = model.graph();
        if (model.opset() < MIN_OPSET) {
            throw new GraphException("gradient: the graph is at opset " + model.opset() + "; its backward graph needs "
                    + MIN_OPSET + " or later");
        }
        if (graph.value(SEED) != null) {
            throw new GraphException("gradient: the graph already has a gradient (input '" + SEED + "')");
        }
        Value target = known(graph, of, "differentiated tensor");
        Value x = known(graph, wrt, "tensor to differentiate with respect to");
        if (x.type() != null && !ElemTypes.isFloating(x.type().elemType())) {
            throw new GraphException("gradient: '" + wrt + "' is " + ElemTypes.shortName(x.type().elemType())
                    + "; only floating-point tensors can be differentiated");
        }
        if (target.type() == null) {
            throw new GraphException("gradient: '" + of + "' has no declared type, so '" + SEED + "' cannot be declared");
        }
        if (!ElemTypes.isFloating(target.type().elemType())) {
            throw new GraphException("gradient: '" + of + "' is " + ElemTypes.shortName(target.type().elemType())
                    + "; only floating-point tensors can be differentiated");
        }
        Ops ops = new Ops(graph, model.opset());
        Value seed = graph.addInput(SEED, target.type());
        Value g = ReverseMode.gradient(graph, ops, target, seed, x);
        Value out = ops.op("Identity").in(g).out(outputName(wrt));
        out.setType(x.type());
        graph.addOutput(out);
        SurgeryLog.record(model, this);
    }

    private static Value known(Graph graph, String name, String role) {
        Value v = graph.value(name);
        if (v == null) {
            throw new GraphException("gradient: the graph has no tensor named '" + name + "' (the " + role + ")");
        }
        return v;
    }
}
