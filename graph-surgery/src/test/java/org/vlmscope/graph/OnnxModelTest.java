package org.vlmscope.graph;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.vlmscope.graph.GraphAssertions.assertGraphError;
import static org.vlmscope.graph.GraphAssertions.assertIndexesConsistent;
import static org.vlmscope.graph.GraphAssertions.names;

import ai.onnx.proto.OnnxMl.AttributeProto.AttributeType;
import ai.onnx.proto.OnnxMl.AttributeProto;
import ai.onnx.proto.OnnxMl.GraphProto;
import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnx.proto.OnnxMl.NodeProto;
import ai.onnx.proto.OnnxMl.OperatorSetIdProto;
import ai.onnx.proto.OnnxMl.StringStringEntryProto;
import ai.onnx.proto.OnnxMl.TensorProto.DataType;
import ai.onnx.proto.OnnxMl.TensorProto;
import ai.onnx.proto.OnnxMl.TensorShapeProto.Dimension;
import ai.onnx.proto.OnnxMl.ValueInfoProto;
import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class OnnxModelTest {
    @TempDir
    Path dir;

    private static final TensorType HIDDEN = TensorType.of(DataType.FLOAT, "batch", "seq", 4);

    /** x[batch,seq,4] -> Gemm-free toy block with int, float, ints and tensor-free attributes; a weight; metadata. */
    private static OnnxModel toyModel() {
        OnnxModel model = OnnxModel.create("toy", 17, null);
        Graph g = model.graph();
        Ops ops = new Ops(g, model.opset());
        Value x = g.addInput("x", HIDDEN);
        Value weight = ops.floats(DataType.FLOAT, new long[] {4, 4}, new double[16]);
        Value t = ops.op("Transpose").in(weight).attr("perm", new long[] {1, 0}).name("wt").out();
        Value mm = ops.op("MatMul").in(x, t).out("blocks.0.hook_mlp_out");
        mm.setType(HIDDEN);
        Value p = ops.op("Softmax").in(mm).attr("axis", -1).out();
        Value half = ops.op("Cast").in(p).attr("to", DataType.FLOAT16.getNumber()).out("probs");
        half.setType(TensorType.of(DataType.FLOAT16, "batch", "seq", 4));
        g.addOutput(half);
        model.metadata().put("vlmscope.surgery", "[\"expose\"]");
        model.metadata().put("author", "test");
        return model;
    }

    private static ModelProto parse(byte[] bytes) throws InvalidProtocolBufferException {
        return ModelProto.parseFrom(bytes);
    }

    @Test
    void toBytesRoundTrip() throws Exception {
        OnnxModel model = toyModel();
        ModelProto m = parse(model.toBytes());

        assertEquals(8, m.getIrVersion());
        assertEquals("vlmscope", m.getProducerName());
        assertEquals(1, m.getOpsetImportCount());
        assertEquals("", m.getOpsetImport(0).getDomain());
        assertEquals(17, m.getOpsetImport(0).getVersion());
        assertEquals(List.of("vlmscope.surgery", "author"),
                m.getMetadataPropsList().stream().map(StringStringEntryProto::getKey).toList());
        assertEquals("[\"expose\"]", m.getMetadataProps(0).getValue());

        GraphProto g = m.getGraph();
        assertEquals("toy", g.getName());
        assertEquals(List.of("Transpose", "MatMul", "Softmax", "Cast"),
                g.getNodeList().stream().map(NodeProto::getOpType).toList());
        NodeProto transpose = g.getNode(0);
        assertEquals("wt", transpose.getName());
        assertEquals(AttributeType.INTS, transpose.getAttribute(0).getType());
        assertEquals(List.of(1L, 0L), transpose.getAttribute(0).getIntsList());
        assertEquals(List.of("blocks.0.hook_mlp_out"), g.getNode(1).getOutputList());
        assertEquals(g.getNode(1).getOutput(0), g.getNode(2).getInput(0));
        assertEquals(-1, g.getNode(2).getAttribute(0).getI());
        assertEquals(DataType.FLOAT16.getNumber(), g.getNode(3).getAttribute(0).getI());

        assertEquals(1, g.getInitializerCount());
        assertEquals(List.of(4L, 4L), g.getInitializer(0).getDimsList());
        assertEquals(64, g.getInitializer(0).getRawData().size());

        ValueInfoProto in = g.getInput(0);
        assertEquals("x", in.getName());
        List<Dimension> dims = in.getType().getTensorType().getShape().getDimList();
        assertEquals("batch", dims.get(0).getDimParam());
        assertEquals("seq", dims.get(1).getDimParam());
        assertEquals(4, dims.get(2).getDimValue());
        assertEquals(DataType.FLOAT16.getNumber(), g.getOutput(0).getType().getTensorType().getElemType());
        assertEquals("batch", g.getOutput(0).getType().getTensorType().getShape().getDim(0).getDimParam());
        assertTrue(g.getValueInfoList().stream().anyMatch(v -> v.getName().equals("blocks.0.hook_mlp_out")));
    }

    @Test
    void serialisedModelIsStableThroughLoadAndSave() throws Exception {
        OnnxModel model = toyModel();
        Path file = dir.resolve("toy.onnx");
        model.save(file);
        assertEquals(dir.toAbsolutePath(), model.baseDir());

        OnnxModel loaded = OnnxModel.load(file);
        assertEquals(dir.toAbsolutePath(), loaded.baseDir());
        assertEquals(17, loaded.opset());
        assertEquals(8, loaded.irVersion());
        assertEquals(Map.of("", 17L), loaded.opsets());
        assertEquals(List.of("vlmscope.surgery", "author"), List.copyOf(loaded.metadata().keySet()));
        assertEquals(HIDDEN, loaded.graph().require("x").type());
        assertEquals(HIDDEN, loaded.graph().require("blocks.0.hook_mlp_out").type());
        assertIndexesConsistent(loaded.graph());
        assertEquals(parse(model.toBytes()), parse(loaded.toBytes()));
        assertEquals(parse(Files.readAllBytes(file)), parse(loaded.toBytes()));
    }

    @Test
    void metadataEditsAreSaved() throws Exception {
        OnnxModel model = toyModel();
        model.metadata().remove("author");
        model.metadata().put("vlmscope.surgery", "[\"expose\",\"patch\"]");
        ModelProto m = parse(model.toBytes());
        assertEquals(1, m.getMetadataPropsCount());
        assertEquals("[\"expose\",\"patch\"]", m.getMetadataProps(0).getValue());
    }

    @Test
    void toBytesSortsNodes() throws Exception {
        OnnxModel model = OnnxModel.create("g", 17, null);
        Graph g = model.graph();
        Value x = g.addInput("x", HIDDEN);
        Value late = g.newValue("late", null);
        Value y = g.newValue("y", null);
        g.addNode("Neg", "", "consumer", List.of(late), List.of(y), Map.of());
        g.addNode("Relu", "", "producer", List.of(x), List.of(late), Map.of());
        g.addOutput(y);
        assertEquals(List.of("producer", "consumer"),
                parse(model.toBytes()).getGraph().getNodeList().stream().map(NodeProto::getName).toList());
    }

    @Test
    void customDomainsAndOpsetsSurvive() throws Exception {
        ModelProto proto = ModelProto.newBuilder().setIrVersion(9)
                .addOpsetImport(OperatorSetIdProto.newBuilder().setDomain("").setVersion(18))
                .addOpsetImport(OperatorSetIdProto.newBuilder().setDomain("com.microsoft")
                        .setVersion(1))
                .setGraph(GraphProto.newBuilder().setName("g")
                        .addInput(ValueInfoProto.newBuilder().setName("x"))
                        .addNode(NodeProto.newBuilder().setName("gelu").setOpType("FastGelu")
                                .setDomain("com.microsoft").addInput("x").addOutput("y")
                                .addAttribute(AttributeProto.newBuilder().setName("doc").setType(AttributeType.STRING)
                                        .setS(ByteString.copyFromUtf8("é"))))
                        .addOutput(ValueInfoProto.newBuilder().setName("y")))
                .build();
        Path file = dir.resolve("ms.onnx");
        Files.write(file, proto.toByteArray());
        OnnxModel model = OnnxModel.load(file);
        assertEquals(18, model.opset());
        assertEquals(Map.of("", 18L, "com.microsoft", 1L), model.opsets());
        assertEquals("com.microsoft", model.graph().require("y").producer().domain());
        assertEquals(proto, parse(model.toBytes()));
    }

    @Test
    void omittedOptionalOutputsGetNamesThatNeverCaptureRealTensors() {
        // The second node writes a tensor whose name is exactly what a naive generator would give the omitted
        // output of the first node.
        GraphProto proto = GraphProto.newBuilder().setName("g")
                .addInput(ValueInfoProto.newBuilder().setName("x"))
                .addNode(NodeProto.newBuilder().setName("drop").setOpType("Dropout").addInput("x").addOutput("d")
                        .addOutput(""))
                .addNode(NodeProto.newBuilder().setName("copy").setOpType("Identity").addInput("d")
                        .addOutput("Dropout_unused"))
                .addOutput(ValueInfoProto.newBuilder().setName("Dropout_unused"))
                .build();
        Graph g = GraphProtos.read(proto);
        assertIndexesConsistent(g);
        Node drop = g.require("d").producer();
        assertEquals("drop", drop.name());
        assertEquals("copy", g.require("Dropout_unused").producer().name());
        assertTrue(!drop.output(1).name().isEmpty() && !drop.output(1).name().equals("Dropout_unused"));
    }

    @Test
    void unnamedAndDuplicateNodeNamesAreMadeUnique() {
        GraphProto proto = GraphProto.newBuilder().setName("g")
                .addInput(ValueInfoProto.newBuilder().setName("x"))
                .addNode(NodeProto.newBuilder().setOpType("Neg").addInput("x").addOutput("a"))
                .addNode(NodeProto.newBuilder().setName("n").setOpType("Neg").addInput("a").addOutput("b"))
                .addNode(NodeProto.newBuilder().setName("n").setOpType("Neg").addInput("b").addOutput("c"))
                .addOutput(ValueInfoProto.newBuilder().setName("c"))
                .build();
        Graph g = GraphProtos.read(proto);
        assertEquals(3, new HashSet<>(names(g.nodes())).size());
        assertEquals("n", g.require("b").producer().name());
        assertIndexesConsistent(g);
    }

    @Test
    void loadErrorsNameTheFile() throws IOException {
        Path missing = dir.resolve("missing.onnx");
        assertGraphError(() -> OnnxModel.load(missing), "missing.onnx");
        Path garbage = dir.resolve("garbage.onnx");
        Files.write(garbage, new byte[] {(byte) 0xff, (byte) 0xff, (byte) 0xff});
        assertGraphError(() -> OnnxModel.load(garbage), "garbage.onnx");
        Path empty = dir.resolve("empty.onnx");
        Files.write(empty, ModelProto.newBuilder().setIrVersion(8).build().toByteArray());
        assertGraphError(() -> OnnxModel.load(empty), "empty.onnx", "no graph");
    }

    @Test
    void outputProducedByNothingIsAnError() {
        GraphProto proto = GraphProto.newBuilder().setName("g")
                .addOutput(ValueInfoProto.newBuilder().setName("ghost")).build();
        assertGraphError(() -> GraphProtos.read(proto), "'ghost'");
    }

    @Test
    void initializerThatIsAlsoAGraphInputKeepsBothRoles() {
        GraphProto proto = GraphProto.newBuilder().setName("g")
                .addInput(ValueInfoProto.newBuilder().setName("w").setType(HIDDEN.toProto()))
                .addInitializer(TensorProto.newBuilder().setName("w")
                        .setDataType(DataType.FLOAT.getNumber()).addDims(1).addFloatData(1))
                .addNode(NodeProto.newBuilder().setName("n").setOpType("Neg").addInput("w").addOutput("y"))
                .addOutput(ValueInfoProto.newBuilder().setName("y"))
                .build();
        Graph g = GraphProtos.read(proto);
        Value w = g.require("w");
        assertTrue(g.isGraphInput(w));
        assertTrue(w.isInitializer());
        assertSame(w, g.initializers().iterator().next());
        assertEquals(HIDDEN, w.type());
        assertEquals(proto, GraphProtos.write(g));
        assertNull(w.producer());
    }
}
