package org.vlmscope.runtime.session;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OnnxValue;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.vlmscope.core.SafetensorsWriter.NamedTensor;
import org.vlmscope.core.VlmscopeException;
import org.vlmscope.graph.OnnxModel;

/**
 * One ONNX graph open in ONNX Runtime, built in memory (after any passes) with its external data read from the
 * folder it was loaded from: the session for a single .onnx file that is not part of a model directory.
 */
public final class GraphSession implements AutoCloseable {
    private final OrtEnvironment env = Providers.environment();
    private final OrtSession session;
    private final String provider;

    private GraphSession(OrtSession session, String provider) {
        this.session = session;
        this.provider = provider;
    }

    /**
     * Opens {@code model} on {@code device} with {@code threads} intra-op threads (0: ONNX Runtime's default), after
     * rewriting it in place for the provider ({@link Providers.Choice#adapt}); {@code what} names it in errors.
     */
    public static GraphSession open(OnnxModel model, Device device, int threads, String what) {
        Providers.Choice choice = Providers.options(model.baseDir(), device, threads);
        try {
            choice.adapt(model);
            OrtSession s = Providers.environment().createSession(model.toBytes(), choice.options());
            return new GraphSession(s, choice.name());
        } catch (OrtException e) {
            throw new VlmscopeException("ONNX Runtime cannot open " + what + ": " + OrtErrors.describe(e), e);
        } finally {
            choice.options().close();
        }
    }

    /** "CUDAExecutionProvider" or "CPUExecutionProvider". */
    public String provider() {
        return provider;
    }

    /** Runs on host tensors named as the graph's inputs; every output comes back by name, in graph order. */
    public Map<String, NamedTensor> run(Map<String, NamedTensor> inputs, String what) {
        Map<String, OnnxTensor> feeds = new LinkedHashMap<>();
        List<OnnxTensor> owned = new ArrayList<>();
        try {
            for (NamedTensor t : inputs.values()) {
                OnnxTensor ort = OrtTensors.toOrt(env, t);
                owned.add(ort);
                feeds.put(t.name(), ort);
            }
            try (OrtSession.Result r = session.run(feeds)) {
                Map<String, NamedTensor> out = new LinkedHashMap<>();
                for (Map.Entry<String, OnnxValue> e : r) {
                    if (!(e.getValue() instanceof OnnxTensor t)) {
                        throw new VlmscopeException(what + ": output '" + e.getKey() + "' is not a tensor");
                    }
                    out.put(e.getKey(), OrtTensors.fromOrt(e.getKey(), t));
                }
                return out;
            }
        } catch (OrtException e) {
            throw new VlmscopeException("running " + what + " failed: " + OrtErrors.describe(e), e);
        } finally {
            owned.forEach(OnnxTensor::close);
        }
    }

    @Override
    public void close() {
        try {
            session.close();
        } catch (OrtException e) {
            // Nothing is left to release from a session that failed to close.
        }
    }
}
