package org.vlmscope.exporter;

import org.vlmscope.core.DType;
import org.vlmscope.core.VlmscopeException;

/**
 * What an export writes: the dtype of weights and activations (fp32 or fp16), and whether to write the weight
 * data at all ({@code graphsOnly}: graphs and manifest whose initializers reference data files that are not
 * written, for inspecting the structure of a large model or benchmarking surgery; such a directory cannot run).
 * {@code allowUnusedLayers} exports a config.json that asks for fewer layers than the checkpoint holds (a
 * truncated model on purpose) instead of refusing it.
 */
public record ExportOptions(DType dtype, boolean graphsOnly, boolean allowUnusedLayers) {
    public static final long OPSET = 17;

    public ExportOptions {
        if (dtype != DType.F32 && dtype != DType.F16) {
            throw new VlmscopeException("export dtype must be fp32 or fp16, not " + dtype);
        }
    }

    public ExportOptions(DType dtype, boolean graphsOnly) {
        this(dtype, graphsOnly, false);
    }

    /** "fp32" or "fp16", as the CLI and vlmscope.json spell it. */
    public static ExportOptions parse(String dtype) {
        return switch (dtype) {
            case "fp32", "float32" -> new ExportOptions(DType.F32, false);
            case "fp16", "float16" -> new ExportOptions(DType.F16, false);
            default -> throw new VlmscopeException("unknown --dtype '" + dtype + "'; use fp32 or fp16");
        };
    }

    public ExportOptions withGraphsOnly(boolean graphsOnly) {
        return new ExportOptions(dtype, graphsOnly, allowUnusedLayers);
    }

    public ExportOptions withAllowUnusedLayers(boolean allow) {
        return new ExportOptions(dtype, graphsOnly, allow);
    }

    public String dtypeName() {
        return dtype == DType.F32 ? "fp32" : "fp16";
    }
}
