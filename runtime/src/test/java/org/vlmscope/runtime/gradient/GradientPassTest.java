package org.vlmscope.runtime.gradient;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.vlmscope.runtime.gradient.GradCheck.dims;
import static org.vlmscope.runtime.gradient.GradCheck.feeds;

import ai.onnx.proto.OnnxMl.TensorProto.DataType;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import org.junit.jupiter.api.Test;
import org.vlmscope.graph.GraphException;
import org.vlmscope.graph.OnnxModel;
import org.vlmscope.graph.Ops;
import org.vlmscope.graph.TensorType;
import org.vlmscope.graph.Value;
import org.vlmscope.graph.passes.Gradient;
import org.vlmscope.graph.passes.SurgeryLog;
import org.vlmscope.runtime.gradient.GradCheck.Feed;

/** The gradient pass's interface, pruning and errors, on small graphs. */
class GradientPassTest {

    /** A float32 graph with input x [b, 3] (and whatever {@code body} declares) and output logits = body(x). */
    private static OnnxModel graph(Function<Ops, Value> body) {
        OnnxModel model = OnnxModel.create("g", GradCheck.OPSET, null);
        Ops ops = new Ops(model.graph(), GradCheck.OPSET);
        model.graph().addInput("x", TensorType.of(DataType.FLOAT, "b", 3));
        Value logits = ops.op("Identity").in(body.apply(ops)).out("logits");
        logits.setType(TensorType.of(DataType.FLOAT, "b", 3));
        model.graph().addOutput(logits);
        return model;
    }

    private static Value x(Ops ops) {
        return ops.graph().require("x");
    }

    @Test
    void addsTheSeedInputTheGradientOutputAndALogEntry() {
        OnnxModel model = graph(o -> o.op("Exp").in(x(o)).out());
        new Gradient("x").apply(model);
        Value seed = model.graph().require(Gradient.SEED);
        assertTrue(model.graph().isGraphInput(seed));
        assertEquals(model.graph().require("logits").type(), seed.type());
        Value grad = model.graph().require("grad.x");
        assertTrue(model.graph().isGraphOutput(grad));
        assertEquals(model.graph().require("x").type(), grad.type());
        assertEquals(List.of(Map.of("pass", "gradient", "wrt", "x", "of", "logits")), SurgeryLog.entries(model));
        assertEquals("[{\"pass\":\"gradient\",\"wrt\":\"x\",\"of\":\"logits\"}]",
                SurgeryLog.describe(List.of(new Gradient("x"))));
    }

    /** A branch that does not reach x (Cos of another input, as rotary's cos of position ids) gets no backward. */
    @Test
    void branchesWithoutThePathArePruned() {
        GradCheck check = GradCheck.inDouble(b -> {
            Ops o = b.ops();
            Value angle = o.op("Cos").in(b.input("angle", "b", 3)).out();
            return o.op("Mul").in(o.op("Tanh").in(b.input("x", "b", 3)).out(), angle).out();
        });
        check.verify("x", feeds("x", dims(2, 3), "angle", dims(2, 3)));
        check.verify("x", feeds("x", dims(4, 3), "angle", dims(4, 3)));
    }

    /** The gradient of another output than logits: d sum(seed * exp(x)) / dx = seed * exp(x), exactly. */
    @Test
    void differentiatesAnotherOutputWhenAsked() throws OrtException {
        OnnxModel model = graph(o -> o.op("Neg").in(x(o)).out());
        Ops ops = new Ops(model.graph(), GradCheck.OPSET);
        Value aux = ops.op("Exp").in(model.graph().require("x")).out("aux");
        aux.setType(TensorType.of(DataType.FLOAT, "b", 3));
        model.graph().addOutput(aux);
        new Gradient("x", "aux").apply(model);
        double[] x = {0.5, -1, 2, 0, 0.25, -0.5};
        double[] seed = {1, 2, -1, 0.5, 3, -2};
        OrtEnvironment env = OrtEnvironment.getEnvironment();
        try (OrtSession s = env.createSession(model.toBytes(), new OrtSession.SessionOptions());
             OnnxTensor xt = GradCheck.tensor(new Feed(DataType.FLOAT, dims(2, 3), x));
             OnnxTensor st = GradCheck.tensor(new Feed(DataType.FLOAT, dims(2, 3), seed));
             OrtSession.Result r = s.run(Map.of("x", xt, Gradient.SEED, st))) {
            double[] g = GradCheck.values((OnnxTensor) r.get("grad.x").orElseThrow());
            double[] expected = new double[x.length];
            for (int i = 0; i < x.length; i++) {
                expected[i] = seed[i] * Math.exp(x[i]);
            }
            assertArrayEquals(expected, g, 1e-5);
        }
    }

    @Test
    void unknownTensorIsNamed() {
        OnnxModel model = graph(o -> o.op("Exp").in(x(o)).out());
        GraphException e = assertThrows(GraphException.class, () -> new Gradient("blocks.9.hook_nope").apply(model));
        assertTrue(e.getMessage().contains("'blocks.9.hook_nope'"), e.getMessage());
        GraphException of = assertThrows(GraphException.class, () -> new Gradient("x", "nope").apply(model));
        assertTrue(of.getMessage().contains("'nope'"), of.getMessage());
    }

    @Test
    void integerTensorsAreNotDifferentiable() {
        OnnxModel model = graph(o -> {
            Value ids = o.graph().addInput("ids", TensorType.of(DataType.INT64, "b", 3));
            Value asFloat = o.op("Cast").in(ids).attr("to", (long) DataType.FLOAT_VALUE).out();
            return o.op("Add").in(x(o), asFloat).out();
        });
        GraphException e = assertThrows(GraphException.class, () -> new Gradient("ids").apply(model));
        assertTrue(e.getMessage().contains("'ids' is int64"), e.getMessage());
    }

    /** Unrelated, or related only through a discrete op (Shape): both are "does not depend". */
    @Test
    void independentTensorIsAnError() {
        OnnxModel unrelated = graph(o -> {
            Value y = o.graph().addInput("y", TensorType.of(DataType.FLOAT, "b", 3));
            Value other = o.op("Neg").in(y).out("other");
            o.graph().addOutput(other);
            return o.op("Exp").in(x(o)).out();
        });
        GraphException e = assertThrows(GraphException.class, () -> new Gradient("y").apply(unrelated));
        assertTrue(e.getMessage().contains("'logits' does not depend on 'y'"), e.getMessage());
        OnnxModel throughShape = graph(o -> {
            Value y = o.graph().addInput("y", TensorType.of(DataType.FLOAT, "b", 3));
            return o.op("Expand").in(x(o), o.op("Shape").in(y).out()).out();
        });
        GraphException viaShape = assertThrows(GraphException.class, () -> new Gradient("y").apply(throughShape));
        assertTrue(viaShape.getMessage().contains("does not depend on 'y' through differentiable operations"),
                viaShape.getMessage());
    }

    @Test
    void opWithoutRuleOnThePathIsNamed() {
        OnnxModel model = graph(o -> o.op("Cos").name("rotary_cos").in(x(o)).out());
        GraphException e = assertThrows(GraphException.class, () -> new Gradient("x").apply(model));
        assertTrue(e.getMessage().contains("no gradient rule for op Cos (node 'rotary_cos')"), e.getMessage());
    }

    @Test
    void exponentDependingOnTheTensorIsAnError() {
        OnnxModel model = graph(o -> o.op("Pow").name("power").in(o.scalar(2, DataType.FLOAT), x(o)).out());
        GraphException e = assertThrows(GraphException.class, () -> new Gradient("x").apply(model));
        assertTrue(e.getMessage().contains("input 1 ('x') of Pow node 'power'"), e.getMessage());
    }

    @Test
    void secondGradientIsRefused() {
        OnnxModel model = graph(o -> o.op("Exp").in(x(o)).out());
        new Gradient("x").apply(model);
        GraphException e = assertThrows(GraphException.class, () -> new Gradient("x").apply(model));
        assertTrue(e.getMessage().contains("already has a gradient"), e.getMessage());
    }
}
