package org.vlmscope.runtime.session;

import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.onnx.proto.OnnxMl.TensorProto;
import ai.onnx.proto.OnnxMl.TensorProto.DataType;
import com.google.protobuf.ByteString;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.vlmscope.core.DType;
import org.vlmscope.core.HalfFloats;
import org.vlmscope.core.SafetensorsWriter.NamedTensor;
import org.vlmscope.graph.Graph;
import org.vlmscope.graph.OnnxModel;
import org.vlmscope.graph.Ops;
import org.vlmscope.graph.TensorType;
import org.vlmscope.graph.Value;

class GraphSessionTest {
    private static final int ROWS = 16;
    private static final int INNER = 4096;
    private static final int COLUMNS = 16;

    @TempDir
    Path tmp;

    /** Values 1 + N(0, 1) in fp16, little-endian. */
    private static ByteBuffer halves(Random random, int count) {
        ByteBuffer bytes = ByteBuffer.allocate(2 * count).order(ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < count; i++) {
            bytes.putShort(HalfFloats.floatToFp16(1 + (float) random.nextGaussian()));
        }
        return bytes.flip();
    }

    private static double half(ByteBuffer bytes, int index) {
        return HalfFloats.fp16ToFloat(bytes.getShort(2 * index));
    }

    /**
     * A linear layer in fp16, x [16, 4096] @ w [4096, 16] + b (zeros), as an exporter writes one: ONNX Runtime's
     * CPU provider fuses MatMul and Add into a Gemm whose fp16 kernel sums in fp16 (off by up to 40 from the exact
     * products, about 4,200, where fp16's spacing is 4). The session sums in float32, as CUDA does: every output is
     * the exact dot product (computed here in double) within one fp16 spacing of its size.
     */
    @Test
    void halfProductsOnTheCpuAreSummedInFloat32() {
        OnnxModel model = OnnxModel.create("linear", 17, tmp);
        Graph g = model.graph();
        Value x = g.addInput("x", TensorType.of(DataType.FLOAT16, ROWS, INNER));
        Value w = g.addInput("w", TensorType.of(DataType.FLOAT16, INNER, COLUMNS));
        Value b = g.addInitializer(TensorProto.newBuilder().setName("b").setDataType(DataType.FLOAT16_VALUE)
                .addDims(COLUMNS).setRawData(ByteString.copyFrom(new byte[2 * COLUMNS])).build());
        Ops ops = new Ops(g, 17);
        g.addOutput(ops.op("Add").in(ops.op("MatMul").in(x, w).out(), b).out("y"));

        Random random = new Random(1);
        ByteBuffer xs = halves(random, ROWS * INNER);
        ByteBuffer ws = halves(random, INNER * COLUMNS);
        try (GraphSession session = GraphSession.open(model, Device.CPU, 1, "linear")) {
            ByteBuffer y = session.run(Map.of("x", new NamedTensor("x", DType.F16, new long[] {ROWS, INNER}, xs.duplicate()),
                    "w", new NamedTensor("w", DType.F16, new long[] {INNER, COLUMNS}, ws.duplicate())), "linear")
                    .get("y").data().order(ByteOrder.LITTLE_ENDIAN);
            for (int i = 0; i < ROWS; i++) {
                for (int j = 0; j < COLUMNS; j++) {
                    double exact = 0;
                    for (int k = 0; k < INNER; k++) {
                        exact += half(xs, i * INNER + k) * half(ws, k * COLUMNS + j);
                    }
                    double got = half(y, i * COLUMNS + j);
                    double spacing = Math.ulp((float) exact) * 0x1p13;
                    assertTrue(Math.abs(got - exact) <= spacing,
                            "y[" + i + "," + j + "] = " + got + ", exact " + exact + ", fp16 spacing " + spacing);
                }
            }
        }
    }
}
