package org.vlmscope.core;

import java.nio.ByteBuffer;
import java.util.Set;

/** The tensors of a checkpoint, from one safetensors file or several shards. */
public interface WeightSource extends AutoCloseable {

    /** All tensor names, sorted. */
    Set<String> names();

    boolean contains(String name);

    /** The tensor's location; a missing tensor is a {@link VlmscopeException} naming it. */
    TensorInfo info(String name);

    /** A read-only little-endian view of exactly the tensor's bytes, memory-mapped, not copied. */
    ByteBuffer data(String name);

    /** The tensor's values converted to float; meant for small tensors. */
    float[] toFloatArray(String name);

    @Override
    void close();
}
