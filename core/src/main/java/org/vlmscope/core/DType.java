package org.vlmscope.core;

import java.util.Arrays;
import java.util.stream.Collectors;

/** Element types of tensors, named as in the safetensors header. */
public enum DType {
    F64(8, true),
    F32(4, true),
    F16(2, true),
    BF16(2, true),
    I64(8, false),
    I32(4, false),
    I16(2, false),
    I8(1, false),
    U8(1, false),
    BOOL(1, false);

    private final int byteSize;
    private final boolean floating;

    DType(int byteSize, boolean floating) {
        this.byteSize = byteSize;
        this.floating = floating;
    }

    public int byteSize() {
        return byteSize;
    }

    public boolean isFloating() {
        return floating;
    }

    /** The dtype string of the safetensors header; the constant names were chosen to equal it. */
    public String safetensorsName() {
        return name();
    }

    public static DType fromSafetensors(String name) {
        for (DType dtype : values()) {
            if (dtype.safetensorsName().equals(name)) {
                return dtype;
            }
        }
        throw new VlmscopeException("unsupported safetensors dtype '" + name + "'; supported: "
                + Arrays.stream(values()).map(DType::safetensorsName).collect(Collectors.joining(", ")));
    }
}
