package org.vlmscope.runtime.session;

import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.onnxruntime.OrtException;
import org.junit.jupiter.api.Test;

/** ONNX Runtime's texts, as it raised them for a truncated .data file and a graph with an unknown op. */
class OrtErrorsTest {
    @Test
    void statusCodesAndSourceLocationsAreDropped() {
        assertEquals("Deserialize tensor blocks.3.mlp.down.W failed. External initializer: blocks.3.mlp.down.W "
                + "offset: 559104 size to read: 32768 given file_length: 100000 are out of bounds or can not be read "
                + "in full.", OrtErrors.describe(new OrtException(OrtException.OrtErrorCode.ORT_FAIL,
                "Error code - ORT_FAIL - message: Deserialize tensor blocks.3.mlp.down.W failed."
                + "tensorprotoutils.cc:1753 GetExtDataFromTensorProto External initializer: blocks.3.mlp.down.W "
                + "offset: 559104 size to read: 32768 given file_length: 100000 are out of bounds or can not be read "
                + "in full.")));
        assertEquals("invalid graph: In Node, (\"Softmax\", Softmix, \"\", -1) : (\"x\": tensor(float),) -> "
                + "(\"softmax\",) , Error No Op registered for Softmix with domain_version of 17",
                OrtErrors.describe(new OrtException(OrtException.OrtErrorCode.ORT_INVALID_GRAPH,
                "Error code - ORT_INVALID_GRAPH - message: This is an invalid model. In Node, (\"Softmax\", "
                + "Softmix, \"\", -1) : (\"x\": tensor(float),) -> (\"softmax\",) , Error No Op registered for "
                + "Softmix with domain_version of 17")));
    }
}
