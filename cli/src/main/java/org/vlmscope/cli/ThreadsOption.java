package org.vlmscope.cli;

import org.vlmscope.core.BadArgumentException;
import picocli.CommandLine.Option;

/** {@code --threads N}: ONNX Runtime's intra-op threads, for every verb that runs a model. */
final class ThreadsOption {
    @Option(names = "--threads", paramLabel = "N",
            description = "ONNX Runtime intra-op threads (default: ONNX Runtime's own, one per core).")
    Integer threads;

    /** The value for the runtime: 0 when not given (ONNX Runtime's default). */
    int value() {
        if (threads != null && threads < 1) {
            throw new BadArgumentException("--threads must be 1 or more, got " + threads);
        }
        return threads == null ? 0 : threads;
    }
}
