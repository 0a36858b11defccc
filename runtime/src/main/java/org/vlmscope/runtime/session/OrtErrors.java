package org.vlmscope.runtime.session;

import ai.onnxruntime.OrtException;

/**
 * ONNX Runtime's exception text made fit for one line of a user message. ORT prefixes its errors with a status code
 * ({@code Error code - ORT_FAIL - message: }) and often with the C++ source location that raised them
 * ({@code tensorprotoutils.cc:1753 GetExtDataFromTensorProto}); neither helps a user, and a message may span lines.
 */
final class OrtErrors {
    private OrtErrors() {
    }

    static String describe(OrtException e) {
        String text = String.valueOf(e.getMessage())
                .replaceAll("Error code - ORT_[A-Z_]+ - message: ", "")
                .replaceAll("This is an invalid model\\.\\s*", "invalid graph: ")
                .replaceAll("[\\w/\\\\-]+\\.(cc|cpp|h):\\d+\\s+(\\S+\\s+)?", " ")
                .replaceAll("\\s+", " ")
                .strip();
        return text.isEmpty() ? "ONNX Runtime gave no detail (" + e.getCode() + ")" : text;
    }
}
