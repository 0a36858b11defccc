package org.vlmscope.runtime;

import ai.onnx.proto.OnnxMl.TensorProto;
import ai.onnx.proto.OnnxMl.TensorProto.DataType;
import ai.onnxruntime.OnnxJavaType;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OnnxTensorLike;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import java.io.IOException;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import org.vlmscope.core.VlmscopeException;
import org.vlmscope.graph.ExternalData;
import org.vlmscope.graph.OnnxModel;
import org.vlmscope.graph.Value;

/**
 * The external weights of one graph, memory-mapped once and handed to every variant session of that graph as its
 * initializers (ONNX Runtime's AddExternalInitializers uses the buffers without copying). The clean, ablated,
 * knocked-out and gradient variants of a decoder then read one copy of the weights, the page cache's, instead of
 * loading one each. Mappings are read-only: ONNX Runtime never writes into an initializer.
 */
final class SharedWeights implements AutoCloseable {
    private final Map<String, OnnxTensor> tensors;

    private SharedWeights(Map<String, OnnxTensor> tensors) {
        this.tensors = tensors;
    }

    /** Maps every external initializer of {@code model} (a graph file of {@code modelDir}). */
    static SharedWeights map(OrtEnvironment env, Path modelDir, OnnxModel model) {
        Map<String, OnnxTensor> tensors = new LinkedHashMap<>();
        Map<String, FileChannel> files = new HashMap<>();
        try {
            for (Value v : model.graph().initializers()) {
                TensorProto t = v.initializer();
                if (t.getDataLocation() != TensorProto.DataLocation.EXTERNAL) {
                    continue;
                }
                String location = ExternalData.field(t, "location");
                String offset = ExternalData.field(t, "offset");
                FileChannel channel = files.get(location);
                if (channel == null) {
                    channel = FileChannel.open(modelDir.resolve(location), StandardOpenOption.READ);
                    files.put(location, channel);
                }
                var buffer = channel.map(FileChannel.MapMode.READ_ONLY, offset == null ? 0 : Long.parseLong(offset),
                        ExternalData.byteLength(t)).order(ByteOrder.LITTLE_ENDIAN);
                long[] shape = t.getDimsList().stream().mapToLong(Long::longValue).toArray();
                tensors.put(t.getName(), OnnxTensor.createTensor(env, buffer, shape, javaType(t)));
            }
            return new SharedWeights(tensors);
        } catch (IOException | OrtException | RuntimeException e) {
            tensors.values().forEach(OnnxTensor::close);
            throw new VlmscopeException("cannot map the weights of " + modelDir + ": " + e.getMessage(), e);
        } finally {
            for (FileChannel c : files.values()) {
                try {
                    c.close();
                } catch (IOException e) {
                    // A mapping stays valid after its channel is closed; nothing is lost.
                }
            }
        }
    }

    /** Makes a session built with {@code options} read these weights instead of loading its own. */
    void addTo(OrtSession.SessionOptions options) {
        try {
            options.addExternalInitializers(new LinkedHashMap<String, OnnxTensorLike>(tensors));
        } catch (OrtException e) {
            throw new VlmscopeException("cannot share weights between sessions: " + e.getMessage(), e);
        }
    }

    private static OnnxJavaType javaType(TensorProto t) {
        return switch (DataType.forNumber(t.getDataType())) {
            case FLOAT -> OnnxJavaType.FLOAT;
            case FLOAT16 -> OnnxJavaType.FLOAT16;
            case BFLOAT16 -> OnnxJavaType.BFLOAT16;
            case INT64 -> OnnxJavaType.INT64;
            case INT32 -> OnnxJavaType.INT32;
            default -> throw new VlmscopeException("initializer '" + t.getName() + "' has element type "
                    + DataType.forNumber(t.getDataType()) + ", which vlmscope does not map");
        };
    }

    /** Call after every session that uses the weights is closed. */
    @Override
    public void close() {
        tensors.values().forEach(OnnxTensor::close);
        tensors.clear();
    }
}
