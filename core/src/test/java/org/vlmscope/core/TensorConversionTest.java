package org.vlmscope.core;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import org.junit.jupiter.api.Test;

class TensorConversionTest {

    private static ByteBuffer littleEndian(int bytes) {
        return ByteBuffer.allocate(bytes).order(ByteOrder.LITTLE_ENDIAN);
    }

    @Test
    void f32ToF16WritesLittleEndianHalfPatterns() {
        ByteBuffer src = littleEndian(12);
        src.putFloat(1.0f).putFloat(-2.0f).putFloat(65504f).flip();
        ByteBuffer dst = littleEndian(6);
        TensorConversion.convert(src, DType.F32, dst, DType.F16, 3);
        // 1.0 = 0x3c00, -2.0 = 0xc000, 65504 = 0x7bff, low byte first.
        assertArrayEquals(new byte[] {0x00, 0x3c, 0x00, (byte) 0xc0, (byte) 0xff, 0x7b}, dst.array());
        assertEquals(12, src.position());
        assertEquals(6, dst.position());
    }

    @Test
    void readsLittleEndianWhateverTheBufferOrderAndLeavesTheOrderAlone() {
        ByteBuffer src = ByteBuffer.wrap(new byte[] {0x00, 0x00, (byte) 0x80, 0x3f, 0x00, 0x00, 0x00, 0x40});
        assertEquals(ByteOrder.BIG_ENDIAN, src.order());
        ByteBuffer dst = ByteBuffer.allocate(4);
        TensorConversion.convert(src, DType.F32, dst, DType.BF16, 2);
        // 1.0f = 0x3f800000 -> bf16 0x3f80; 2.0f = 0x40000000 -> 0x4000.
        assertArrayEquals(new byte[] {(byte) 0x80, 0x3f, 0x00, 0x40}, dst.array());
        assertEquals(ByteOrder.BIG_ENDIAN, src.order());
        assertEquals(ByteOrder.BIG_ENDIAN, dst.order());
    }

    @Test
    void widensHalvesAndNarrowsDoubles() {
        ByteBuffer f16 = littleEndian(4);
        f16.putShort((short) 0x3555).putShort((short) 0xfc00).flip();
        ByteBuffer out = littleEndian(8);
        TensorConversion.convert(f16, DType.F16, out, DType.F32, 2);
        // 0x3555 = 1 + 0x155/1024 times 2^-2 = 0.333251953125.
        assertEquals(0.333251953125f, out.getFloat(0));
        assertEquals(Float.NEGATIVE_INFINITY, out.getFloat(4));

        ByteBuffer f64 = littleEndian(16);
        f64.putDouble(0.1).putDouble(-1e300).flip();
        ByteBuffer narrowed = littleEndian(8);
        TensorConversion.convert(f64, DType.F64, narrowed, DType.F32, 2);
        assertEquals(0.1f, narrowed.getFloat(0));
        assertEquals(Float.NEGATIVE_INFINITY, narrowed.getFloat(4));
    }

    @Test
    void sameDtypeIsAByteCopyFromThePositions() {
        ByteBuffer src = ByteBuffer.wrap(new byte[] {9, 9, 1, 2, 3, 4, 5, 6, 7});
        src.position(2);
        ByteBuffer dst = ByteBuffer.allocate(8);
        dst.position(1);
        TensorConversion.convert(src, DType.I16, dst, DType.I16, 3);
        assertArrayEquals(new byte[] {0, 1, 2, 3, 4, 5, 6, 0}, dst.array());
        assertEquals(8, src.position());
        assertEquals(7, dst.position());
    }

    @Test
    void convertsOnlyAtTheBuffersPositions() {
        ByteBuffer src = littleEndian(8);
        src.putFloat(5f).putFloat(0.5f).position(4);
        ByteBuffer dst = littleEndian(4);
        dst.position(2);
        TensorConversion.convert(src, DType.F32, dst, DType.F16, 1);
        assertEquals(0x3800, dst.getShort(2) & 0xffff, "0.5 = 0x3800");
        assertEquals(0, dst.getShort(0));
    }

    @Test
    void rejectsIntegerConversionsAndShortBuffers() {
        assertThrows(VlmscopeException.class,
                () -> TensorConversion.convert(littleEndian(8), DType.I64, littleEndian(8), DType.F32, 1));
        assertThrows(VlmscopeException.class,
                () -> TensorConversion.convert(littleEndian(8), DType.F32, littleEndian(8), DType.F64, 1));
        assertThrows(IllegalArgumentException.class,
                () -> TensorConversion.convert(littleEndian(4), DType.F32, littleEndian(8), DType.F16, 2));
    }
}
