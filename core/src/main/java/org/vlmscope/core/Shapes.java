package org.vlmscope.core;

import java.util.Arrays;

/** Shape arithmetic shared by the tensor records. */
final class Shapes {
    private Shapes() {
    }

    /** Element count; an empty shape is a scalar with one element. */
    static long numel(long[] shape) {
        long count = 1;
        for (long dim : shape) {
            count = Math.multiplyExact(count, dim);
        }
        return count;
    }

    /** Byte count of a tensor, or -1 when it does not fit in a long. */
    static long byteLengthOrOverflow(long[] shape, DType dtype) {
        try {
            return Math.multiplyExact(numel(shape), (long) dtype.byteSize());
        } catch (ArithmeticException overflow) {
            return -1;
        }
    }

    /** Copies a shape and rejects negative dimensions, naming the tensor. */
    static long[] checkedCopy(String tensorName, long[] shape) {
        if (shape == null) {
            throw new IllegalArgumentException("tensor " + tensorName + ": shape is null");
        }
        for (long dim : shape) {
            if (dim < 0) {
                throw new IllegalArgumentException(
                        "tensor " + tensorName + ": negative dimension in shape " + Arrays.toString(shape));
            }
        }
        return shape.clone();
    }
}
