package org.vlmscope.runtime.session;

import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtLoggingLevel;
import ai.onnxruntime.OrtSession;
import java.nio.file.Files;
import java.nio.file.Path;
import org.vlmscope.core.VlmscopeException;
import org.vlmscope.graph.OnnxModel;
import org.vlmscope.graph.passes.AccumulateInFloat32;

/**
 * Session options per device: CUDA when it loads, else CPU, with the reason for the choice. Nothing is printed
 * here; the CLI shows {@link ModelSession#providerLine()} once per run.
 */
final class Providers {
    /** The provider chosen, why, and the options that select it (the caller closes them). */
    record Choice(String name, String reason, OrtSession.SessionOptions options) {
        /**
         * Rewrites {@code model} to compute on this provider as on CUDA: on the CPU, fp16 products are summed in
         * float32 ({@link AccumulateInFloat32}), as CUDA's fp16 MatMul and Hugging Face's fp16 runs sum them.
         */
        void adapt(OnnxModel model) {
            if (name.equals(CPU)) {
                new AccumulateInFloat32().apply(model);
            }
        }
    }

    private static final String CPU = "CPUExecutionProvider";

    private Providers() {
    }

    /**
     * The process's ONNX Runtime environment, its native logger limited to errors: ORT's warnings (and its own
     * coloured log lines) are not for vlmscope's users, whose failures arrive as one-line messages instead.
     */
    static OrtEnvironment environment() {
        return OrtEnvironment.getEnvironment(OrtLoggingLevel.ORT_LOGGING_LEVEL_ERROR, "vlmscope");
    }

    /** {@code threads}: ONNX Runtime's intra-op threads, or 0 for its default (one per core). */
    static Choice options(Path modelDir, Device device, int threads) {
        try {
            OrtSession.SessionOptions opts = base(modelDir, threads);
            if (device == Device.CPU) {
                return new Choice(CPU, "--device cpu", opts);
            }
            // Without an NVIDIA driver, trying CUDA would only unpack a large provider library to fail.
            if (!Files.exists(Path.of("/proc/driver/nvidia/version"))) {
                return new Choice(CPU, "no NVIDIA driver found", opts);
            }
            try {
                opts.addCUDA(0);
                return new Choice("CUDAExecutionProvider", "--device " + device.name().toLowerCase(java.util.Locale.ROOT), opts);
            } catch (OrtException | UnsatisfiedLinkError e) {
                opts.close();
                return new Choice(CPU, "CUDA provider did not load: " + e.getMessage(),
                        base(modelDir, threads));
            }
        } catch (OrtException e) {
            throw new VlmscopeException("cannot configure ONNX Runtime: " + e.getMessage(), e);
        }
    }

    /**
     * Options every session gets. Weights stay in the model directory (the graph bytes reference them relative to
     * it), where ONNX Runtime maps them: every variant of a graph (clean, ablated, knocked out, with a gradient)
     * reads the same pages. Two defaults would give each variant private memory instead, and are turned off:
     * prepacking (a reordered copy of every MatMul weight per session, +0.8 GB per decoder variant of the medium
     * benchmark model) and the per-session arena with its cached memory patterns (which keeps a prefill's peak
     * activations allocated in every idle variant). README, "Benchmarks", has the measured trade-off. Idle pool
     * threads sleep instead of spinning: on a machine shared with other work (a cluster node, a laptop) spinning
     * threads burn the cores the computing ones need (measured with the load at 20 on 2 cores: 50 greedy tokens of
     * the small benchmark model 14.8 s with spinning, 3.0 s without). On a machine the run has to itself, spinning
     * is faster (medium benchmark model, idle: IG-50 128 s against 151 s, 200 greedy tokens 12.1 s against 14.1 s):
     * {@value #SPINNING_VARIABLE}=1 turns it on.
     */
    /** The environment variable that lets idle pool threads spin (1) or makes them sleep (0, the default). */
    public static final String SPINNING_VARIABLE = "VLMSCOPE_ORT_SPINNING";

    /** ONNX Runtime's allow_spinning value for the variable's {@code value} (null when it is not set). */
    static String spinning(String value) {
        if (value == null || value.isEmpty()) {
            return "0";
        }
        if (!value.equals("0") && !value.equals("1")) {
            throw new VlmscopeException(SPINNING_VARIABLE + "=" + value + ": expected 1 (idle threads spin, fastest "
                    + "on a machine the run has to itself) or 0 (they sleep, the default)");
        }
        return value;
    }

    private static OrtSession.SessionOptions base(Path modelDir, int threads) throws OrtException {
        OrtSession.SessionOptions opts = new OrtSession.SessionOptions();
        // A session's own log lines are limited to fatal ones: its errors come back as exceptions.
        opts.setSessionLogLevel(OrtLoggingLevel.ORT_LOGGING_LEVEL_FATAL);
        opts.addConfigEntry("session.model_external_initializers_file_folder_path", modelDir.toAbsolutePath().toString());
        opts.addConfigEntry("session.disable_prepacking", "1");
        opts.setCPUArenaAllocator(false);
        opts.setMemoryPatternOptimization(false);
        String spinning = spinning(System.getenv(SPINNING_VARIABLE));
        opts.addConfigEntry("session.intra_op.allow_spinning", spinning);
        opts.addConfigEntry("session.inter_op.allow_spinning", spinning);
        if (threads > 0) {
            opts.setIntraOpNumThreads(threads);
        }
        return opts;
    }
}
