package org.vlmscope.runtime.session;

import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import java.nio.file.Files;
import java.nio.file.Path;
import org.vlmscope.core.VlmscopeException;

/** Session options per device: CUDA when it loads, else CPU, with one line on stderr saying which and why. */
final class Providers {
    /** Set once per process so the provider line is printed once. */
    private static volatile String announced;

    record Choice(String name, OrtSession.SessionOptions options) {
    }

    private Providers() {
    }

    static Choice options(Path modelDir, Device device) {
        try {
            OrtSession.SessionOptions opts = new OrtSession.SessionOptions();
            // Weights stay in the model directory; the graph bytes reference them relative to it.
            opts.addConfigEntry("session.model_external_initializers_file_folder_path", modelDir.toAbsolutePath().toString());
            if (device == Device.CPU) {
                return announce(new Choice("CPUExecutionProvider", opts), null);
            }
            // Without an NVIDIA driver, trying CUDA would only unpack a large provider library to fail.
            if (!Files.exists(Path.of("/proc/driver/nvidia/version"))) {
                return announce(new Choice("CPUExecutionProvider", opts),
                        device == Device.CUDA ? "no NVIDIA driver found" : null);
            }
            try {
                opts.addCUDA(0);
                return announce(new Choice("CUDAExecutionProvider", opts), null);
            } catch (OrtException | UnsatisfiedLinkError e) {
                opts.close();
                OrtSession.SessionOptions cpu = new OrtSession.SessionOptions();
                cpu.addConfigEntry("session.model_external_initializers_file_folder_path",
                        modelDir.toAbsolutePath().toString());
                return announce(new Choice("CPUExecutionProvider", cpu), "CUDA provider did not load: " + e.getMessage());
            }
        } catch (OrtException e) {
            throw new VlmscopeException("cannot configure ONNX Runtime: " + e.getMessage(), e);
        }
    }

    private static Choice announce(Choice c, String fallbackReason) {
        String line = fallbackReason == null ? "vlmscope: running on " + c.name()
                : "vlmscope: CUDA unavailable (" + fallbackReason + "); running on " + c.name();
        if (!line.equals(announced)) {
            announced = line;
            if (fallbackReason != null || c.name().startsWith("CUDA")) {
                System.err.println(line);
            }
        }
        return c;
    }
}
