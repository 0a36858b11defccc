package org.vlmscope.graph.passes;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;

import ai.onnx.proto.OnnxMl.TensorProto.DataType;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.vlmscope.graph.Graph;
import org.vlmscope.graph.Node;
import org.vlmscope.graph.OnnxModel;
import org.vlmscope.graph.Ops;
import org.vlmscope.graph.TensorType;
import org.vlmscope.graph.Value;

/** Which MatMuls the pass widens, and that the product keeps its name, type and readers. */
class AccumulateInFloat32Test {
    private static final long OPSET = 17;

    /** y = (x @ w) + x @ w with x and w graph inputs of {@code type}; y and the first product are outputs. */
    private static OnnxModel product(DataType type) {
        OnnxModel model = OnnxModel.create("product", OPSET, null);
        Graph g = model.graph();
        Ops ops = new Ops(g, OPSET);
        Value x = g.addInput("x", TensorType.of(type, 2, 3));
        Value w = g.addInput("w", TensorType.of(type, 3, 2));
        Value first = ops.op("MatMul").in(x, w).out("first");
        first.setType(TensorType.of(type, 2, 2));
        Value y = ops.op("Add").in(first, ops.op("MatMul").in(x, w).out()).out("y");
        g.addOutput(y);
        g.addOutput(first);
        return model;
    }

    private static List<String> ops(Graph g) {
        return g.nodes().stream().map(Node::opType).toList();
    }

    @Test
    void halfProductsAreSummedInFloat32UnderTheirOwnNames() {
        OnnxModel m = product(DataType.FLOAT16);
        Graph g = m.graph();
        new AccumulateInFloat32().apply(m);

        assertEquals(List.of("Add", "Cast", "Cast", "Cast", "Cast", "Cast", "Cast", "MatMul", "MatMul"),
                ops(g).stream().sorted().toList(), "each product: two widening Casts, MatMul, a rounding Cast");
        Value first = g.require("first");
        Node rounding = first.producer();
        assertEquals("Cast", rounding.opType());
        assertEquals(DataType.FLOAT16_VALUE, rounding.intAttribute("to", -1));
        assertEquals(TensorType.of(DataType.FLOAT16, 2, 2), first.type());
        Node matmul = rounding.input(0).producer();
        assertEquals("MatMul", matmul.opType());
        for (Value operand : matmul.inputs()) {
            assertEquals("Cast", operand.producer().opType());
            assertEquals(DataType.FLOAT_VALUE, operand.producer().intAttribute("to", -1));
        }
        assertSame(g.require("x"), matmul.input(0).producer().input(0));
        assertSame(first, g.outputs().get(1));
        assertSame(first, g.require("y").producer().input(0));
        assertEquals(List.of(Map.of("pass", "accumulate_in_float32")), SurgeryLog.entries(m));

        new AccumulateInFloat32().apply(m);
        assertEquals(2, ops(g).stream().filter("MatMul"::equals).count(), "a second application widens nothing");
    }

    @Test
    void halfValuesMadeInsideTheGraphAreFound() {
        // float32 inputs cast to fp16 before the product, as a mixed-precision export writes it: no value is
        // declared fp16, yet the MatMul multiplies fp16 operands.
        OnnxModel m = OnnxModel.create("cast", OPSET, null);
        Graph g = m.graph();
        Ops ops = new Ops(g, OPSET);
        Value x = ops.op("Cast").in(g.addInput("x", TensorType.of(DataType.FLOAT, 2, 3)))
                .attr("to", (long) DataType.FLOAT16_VALUE).out();
        Value w = ops.op("Cast").in(g.addInput("w", TensorType.of(DataType.FLOAT, 3, 2)))
                .attr("to", (long) DataType.FLOAT16_VALUE).out();
        g.addOutput(ops.op("MatMul").in(x, w).out("y"));
        new AccumulateInFloat32().apply(m);

        Node rounding = g.require("y").producer();
        assertEquals("Cast", rounding.opType());
        assertEquals("MatMul", rounding.input(0).producer().opType());
        assertEquals(List.of(Map.of("pass", "accumulate_in_float32")), SurgeryLog.entries(m));
    }

    @Test
    void float32AndUntypedProductsAreLeftAlone() {
        OnnxModel m = product(DataType.FLOAT);
        List<Node> before = List.copyOf(m.graph().nodes());
        new AccumulateInFloat32().apply(m);
        assertEquals(before, List.copyOf(m.graph().nodes()), "the same nodes in the same order");
        assertEquals(List.of(), SurgeryLog.entries(m));

        OnnxModel untyped = OnnxModel.create("untyped", OPSET, null);
        Graph g = untyped.graph();
        Ops ops = new Ops(g, OPSET);
        Value x = g.addInput("x", null);
        g.addOutput(ops.op("MatMul").in(x, x).out("y"));
        new AccumulateInFloat32().apply(untyped);
        assertEquals(List.of("MatMul"), ops(g));
    }
}
