package org.vlmscope.exporter;

import org.vlmscope.core.DType;
import org.vlmscope.core.VlmscopeException;

/** What an export writes: the dtype of weights and activations (fp32 or fp16). */
public record ExportOptions(DType dtype) {
    public static final long OPSET = 17;

    public ExportOptions {
        if (dtype != DType.F32 && dtype != DType.F16) {
            throw new VlmscopeException("export dtype must be fp32 or fp16, not " + dtype);
        }
    }

    /** "fp32" or "fp16", as the CLI and vlmscope.json spell it. */
    public static ExportOptions parse(String dtype) {
        return switch (dtype) {
            case "fp32", "float32" -> new ExportOptions(DType.F32);
            case "fp16", "float16" -> new ExportOptions(DType.F16);
            default -> throw new VlmscopeException("unknown --dtype '" + dtype + "'; use fp32 or fp16");
        };
    }

    public String dtypeName() {
        return dtype == DType.F32 ? "fp32" : "fp16";
    }
}
