package org.vlmscope.runtime.session;

import org.vlmscope.core.VlmscopeException;

/** Where ONNX Runtime runs: CUDA when asked (falling back to CPU with one line), CPU, or CUDA if it loads. */
public enum Device {
    AUTO, CPU, CUDA;

    public static Device parse(String name) {
        return switch (name.toLowerCase()) {
            case "auto" -> AUTO;
            case "cpu" -> CPU;
            case "cuda", "gpu" -> CUDA;
            default -> throw new VlmscopeException("unknown device '" + name + "'; use auto, cpu or cuda");
        };
    }
}
