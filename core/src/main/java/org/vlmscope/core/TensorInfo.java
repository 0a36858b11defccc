package org.vlmscope.core;

import java.util.Arrays;
import java.util.Objects;

/**
 * Where one tensor lies in a safetensors file.
 *
 * @param offset absolute position in the file of the tensor's first byte
 * @param byteLength number of bytes, numel x dtype size
 */
public record TensorInfo(String name, DType dtype, long[] shape, long offset, long byteLength) {

    public TensorInfo {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(dtype, "dtype");
        shape = Shapes.checkedCopy(name, shape);
        if (offset < 0 || byteLength < 0) {
            throw new IllegalArgumentException("tensor " + name + ": negative offset or length");
        }
    }

    /** A copy, so the record stays immutable. */
    @Override
    public long[] shape() {
        return shape.clone();
    }

    public long numel() {
        return Shapes.numel(shape);
    }

    @Override
    public boolean equals(Object other) {
        return other instanceof TensorInfo that
                && name.equals(that.name)
                && dtype == that.dtype
                && Arrays.equals(shape, that.shape)
                && offset == that.offset
                && byteLength == that.byteLength;
    }

    @Override
    public int hashCode() {
        return Objects.hash(name, dtype, Arrays.hashCode(shape), offset, byteLength);
    }

    @Override
    public String toString() {
        return name + " " + dtype + " " + Arrays.toString(shape) + " @" + offset + "+" + byteLength;
    }
}
