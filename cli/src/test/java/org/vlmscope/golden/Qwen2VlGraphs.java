package org.vlmscope.golden;

import ai.onnxruntime.OnnxJavaType;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OnnxValue;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import ai.onnxruntime.TensorInfo;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.LongBuffer;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.vlmscope.graph.OnnxModel;
import org.vlmscope.graph.passes.AccumulateInFloat32;
import org.vlmscope.graph.passes.Pass;

/**
 * The graphs of an exported Qwen2-VL model run directly on ONNX Runtime, with passes applied in memory: the golden
 * test feeds them what Hugging Face's forward computes between them, independently of the runtime module.
 */
final class Qwen2VlGraphs implements AutoCloseable {
    private static final OrtEnvironment ENV = OrtEnvironment.getEnvironment();

    /** An input: float or int64 values with their shape, or raw bytes of another element type (an fp16 cache). */
    record Feed(long[] shape, float[] floats, long[] longs, ByteBuffer raw, OnnxJavaType rawType) {
        static Feed floats(float[] values, long... shape) {
            return new Feed(shape, values, null, null, null);
        }

        static Feed longs(long[] values, long... shape) {
            return new Feed(shape, null, values, null, null);
        }

        OnnxTensor tensor() throws OrtException {
            return floats != null ? OnnxTensor.createTensor(ENV, FloatBuffer.wrap(floats), shape)
                    : longs != null ? OnnxTensor.createTensor(ENV, LongBuffer.wrap(longs), shape)
                    : OnnxTensor.createTensor(ENV, raw.duplicate(), shape, rawType);
        }
    }

    /** An output: its values as floats (fp16 widened, int64 ids converted) and itself as a feed for a later run. */
    record Output(float[] values, Feed feed) {
    }

    private final OrtSession session;

    /**
     * {@code file} of the model directory {@code dir}, after {@code passes} and then {@link AccumulateInFloat32}, as
     * the runtime opens every graph on the CPU provider (fp16 products summed in float32; nothing changes in fp32).
     */
    Qwen2VlGraphs(Path dir, String file, List<Pass> passes) {
        OnnxModel model = OnnxModel.load(dir.resolve(file));
        passes.forEach(p -> p.apply(model));
        new AccumulateInFloat32().apply(model);
        try {
            OrtSession.SessionOptions options = new OrtSession.SessionOptions();
            options.addConfigEntry("session.model_external_initializers_file_folder_path", dir.toString());
            session = ENV.createSession(model.toBytes(), options);
        } catch (OrtException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Runs the graph on {@code feeds}; every output comes back. */
    Map<String, Output> run(Map<String, Feed> feeds) {
        Map<String, OnnxTensor> inputs = new LinkedHashMap<>();
        try {
            for (Map.Entry<String, Feed> f : feeds.entrySet()) {
                inputs.put(f.getKey(), f.getValue().tensor());
            }
            Map<String, Output> out = new LinkedHashMap<>();
            try (OrtSession.Result result = session.run(inputs)) {
                for (Map.Entry<String, OnnxValue> e : result) {
                    OnnxTensor t = (OnnxTensor) e.getValue();
                    TensorInfo info = t.getInfo();
                    ByteBuffer bytes = t.getByteBuffer();
                    ByteBuffer raw = ByteBuffer.allocateDirect(bytes.remaining()).order(ByteOrder.nativeOrder());
                    raw.put(bytes).flip();
                    float[] values = info.type == OnnxJavaType.INT64 ? toFloats(t.getLongBuffer())
                            : floats(t.getFloatBuffer());
                    out.put(e.getKey(), new Output(values, new Feed(info.getShape(), null, null, raw, info.type)));
                }
            }
            return out;
        } catch (OrtException e) {
            throw new IllegalStateException(e);
        } finally {
            inputs.values().forEach(OnnxTensor::close);
        }
    }

    private static float[] floats(FloatBuffer b) {
        float[] out = new float[b.remaining()];
        b.get(out);
        return out;
    }

    /** Token ids (exact in float below 2^24) in the same float map as the activations. */
    private static float[] toFloats(LongBuffer b) {
        float[] out = new float[b.remaining()];
        for (int i = 0; i < out.length; i++) {
            out[i] = b.get();
        }
        return out;
    }

    @Override
    public void close() {
        try {
            session.close();
        } catch (OrtException e) {
            throw new IllegalStateException(e);
        }
    }
}
