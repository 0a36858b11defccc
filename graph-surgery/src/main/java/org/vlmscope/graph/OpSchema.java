package org.vlmscope.graph;

import ai.onnx.proto.OnnxMl.AttributeProto.AttributeType;
import java.util.Map;
import java.util.Set;

/**
 * What the op builder checks for one operator at one opset version: input and output counts, the attributes
 * it accepts with their types, and those it requires.
 */
public record OpSchema(String opType, int sinceVersion, int minInputs, int maxInputs, int minOutputs,
                       int maxOutputs, Map<String, AttributeType> attributes, Set<String> required) {
    public static final int VARIADIC = Integer.MAX_VALUE;
}
