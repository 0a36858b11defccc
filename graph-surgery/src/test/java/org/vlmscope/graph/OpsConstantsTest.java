package org.vlmscope.graph;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.vlmscope.graph.GraphAssertions.assertGraphError;

import ai.onnx.proto.OnnxMl.TensorProto.DataType;
import ai.onnx.proto.OnnxMl.TensorProto;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Constants become inline initializers with the right element type, dims and little-endian raw bytes. */
class OpsConstantsTest {
    private Graph g;
    private Ops ops;

    @BeforeEach
    void build() {
        g = new Graph("g");
        ops = new Ops(g, 17);
    }

    private static TensorProto tensor(Value v) {
        assertTrue(v.isInitializer(), v.name() + " should be an initializer");
        return v.initializer();
    }

    private static void assertHeader(Value v, DataType type, long... dims) {
        TensorProto t = tensor(v);
        assertEquals(type.getNumber(), t.getDataType());
        assertEquals(toList(dims), t.getDimsList());
        assertEquals(v.name(), t.getName());
        assertEquals(type, v.type().elemType());
        assertEquals(dims.length, v.type().rank());
        assertEquals(TensorProto.DataLocation.DEFAULT, t.getDataLocation());
    }

    private static List<Long> toList(long[] dims) {
        return Arrays.stream(dims).boxed().toList();
    }

    private static ByteBuffer le(int size) {
        return ByteBuffer.allocate(size).order(ByteOrder.LITTLE_ENDIAN);
    }

    private static byte[] raw(Value v) {
        return tensor(v).getRawData().toByteArray();
    }

    @Test
    void ints() {
        Value v = ops.ints(3, -1, 1L << 40);
        assertHeader(v, DataType.INT64, 3);
        assertArrayEquals(le(24).putLong(3).putLong(-1).putLong(1L << 40).array(), raw(v));
        assertTrue(g.initializers().contains(v));
    }

    @Test
    void emptyInts() {
        Value v = ops.ints();
        assertHeader(v, DataType.INT64, 0);
        assertEquals(0, raw(v).length);
    }

    @Test
    void scalarInt() {
        Value v = ops.scalarInt(-7);
        assertHeader(v, DataType.INT64);
        assertArrayEquals(le(8).putLong(-7).array(), raw(v));
    }

    @Test
    void scalarFloatAndDouble() {
        Value f = ops.scalar(0.1, DataType.FLOAT);
        assertHeader(f, DataType.FLOAT);
        assertArrayEquals(le(4).putFloat(0.1f).array(), raw(f));

        Value d = ops.scalar(0.1, DataType.DOUBLE);
        assertHeader(d, DataType.DOUBLE);
        assertArrayEquals(le(8).putDouble(0.1).array(), raw(d));
    }

    @Test
    void floatMatrix() {
        Value v = ops.floats(DataType.FLOAT, new long[] {2, 2}, 1, -2, 0.5, 3e38);
        assertHeader(v, DataType.FLOAT, 2, 2);
        assertArrayEquals(le(16).putFloat(1).putFloat(-2).putFloat(0.5f).putFloat(3e38f).array(), raw(v));
    }

    @Test
    void halfVector() {
        Value v = ops.floats(DataType.FLOAT16, new long[] {4}, 1.0, -2.0, 65504, 0.1);
        assertHeader(v, DataType.FLOAT16, 4);
        assertArrayEquals(le(8).putShort((short) 0x3C00).putShort((short) 0xC000).putShort((short) 0x7BFF)
                .putShort((short) 0x2E66).array(), raw(v));
    }

    /** Expected bit patterns worked out by hand from the IEEE 754 binary16 layout (1-5-10, bias 15). */
    @ParameterizedTest(name = "{0} -> {1}")
    @CsvSource({
        "1.0, 3C00",
        "-2.0, C000",
        "0.5, 3800",
        "65504, 7BFF",            // largest finite half
        "0.1, 2E66",              // 0x2E66.6 rounds down
        "0.333333333, 3555",
        "1.0009765625, 3C01",     // 1 + 2^-10, exact
        "1.00048828125, 3C00",    // 1 + 2^-11: a tie, rounds to the even 0x3C00
        "1.00146484375, 3C02",    // 1 + 3 * 2^-11: a tie, rounds to the even 0x3C02
        "6.103515625E-5, 0400",   // 2^-14, smallest normal
        "5.9604644775390625E-8, 0001", // 2^-24, smallest subnormal
        "2.98023223876953125E-8, 0000", // 2^-25: a tie between 0 and 2^-24, rounds to even 0
        "4.470348358154297E-8, 0001",   // 1.5 * 2^-25 rounds up to 2^-24
        "1e-8, 0000",             // underflow
        "-0.0, 8000",
        "65519, 7BFF",            // below the rounding midpoint to infinity
        "65520, 7C00",            // the midpoint: rounds to even, which is infinity
        "1e6, 7C00",
        "-1e6, FC00",
        "Infinity, 7C00",
        "-Infinity, FC00",
        "NaN, 7E00",
    })
    void halfScalar(double value, String hex) {
        Value v = ops.scalar(value, DataType.FLOAT16);
        assertHeader(v, DataType.FLOAT16);
        assertArrayEquals(le(2).putShort((short) Integer.parseInt(hex, 16)).array(), raw(v));
    }

    @Test
    void constantNamesAreDistinct() {
        Set<String> seen = new HashSet<>();
        for (int i = 0; i < 50; i++) {
            assertTrue(seen.add(ops.ints(i).name()));
            assertTrue(seen.add(ops.scalar(i, DataType.FLOAT).name()));
            assertTrue(seen.add(ops.scalar(i, DataType.FLOAT16).name()));
        }
        assertEquals(150, g.initializers().size());
        GraphAssertions.assertIndexesConsistent(g);
    }

    @Test
    void unsupportedFloatingType() {
        assertGraphError(() -> ops.scalar(1, DataType.INT32), "INT32");
        assertGraphError(() -> ops.scalar(1, DataType.BFLOAT16), "BFLOAT16");
    }

    @Test
    void valueCountMustMatchTheShape() {
        assertGraphError(() -> ops.floats(DataType.FLOAT, new long[] {2, 3}, 1, 2, 3), "[2, 3]", "3");
        assertGraphError(() -> ops.floats(DataType.FLOAT, new long[0], 1, 2), "2");
        assertTrue(g.initializers().isEmpty());
    }
}
