package org.vlmscope.runtime;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OnnxValue;
import ai.onnxruntime.OrtSession;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.vlmscope.core.ModelManifest;
import org.vlmscope.core.SafetensorsWriter.NamedTensor;
import org.vlmscope.core.VlmscopeException;

/**
 * One forward pass over a whole prompt: pixels through vision.onnx, ids and visual tokens through embed.onnx,
 * embeddings through decoder.onnx with an empty KV cache. Returns logits and every exposed hook, batch kept.
 */
public final class Forward {
    private Forward() {
    }

    /**
     * @param pixelValues [batch, 3, H, W] float32, or null for a text-only prompt
     * @param inputIds    one row per batch entry, equal lengths; the image placeholder once or already expanded
     */
    public static Map<String, NamedTensor> run(ModelSession session, NamedTensor pixelValues, long[][] inputIds) {
        Map<String, NamedTensor> out = new LinkedHashMap<>();
        try (Prefill prefill = Prefill.run(session, pixelValues, inputIds, out)) {
            try (OrtSession.Result r = session.run("decoder", prefill.decoderInputs())) {
                collect(session, "decoder", r, out);
                out.put("logits", OrtTensors.fromOrt("logits", (OnnxTensor) r.get("logits").orElseThrow()));
            }
        }
        return out;
    }

    /** Copies the graph's exposed hooks from a result into {@code out}. */
    static void collect(ModelSession session, String graph, OrtSession.Result r, Map<String, NamedTensor> out) {
        for (String hook : session.exposedHooks(graph)) {
            OnnxValue v = r.get(hook).orElseThrow();
            out.put(hook, OrtTensors.fromOrt(hook, (OnnxTensor) v));
        }
    }

    /** Image features and input embeddings for a prompt, plus the decoder's first inputs; closes what it made. */
    static final class Prefill implements AutoCloseable {
        private final Map<String, OnnxTensor> owned = new HashMap<>();
        private final Map<String, OnnxTensor> decoderInputs = new HashMap<>();
        /** Prompt length after the image placeholder was expanded. */
        private int length;

        static Prefill run(ModelSession session, NamedTensor pixelValues, long[][] inputIds,
                           Map<String, NamedTensor> hooks) {
            Prefill p = new Prefill();
            try {
                p.build(session, pixelValues, inputIds, hooks);
                return p;
            } catch (RuntimeException e) {
                p.close();
                throw e;
            }
        }

        private void build(ModelSession session, NamedTensor pixelValues, long[][] inputIds,
                           Map<String, NamedTensor> hooks) {
            ModelManifest m = session.manifest();
            int batch = inputIds.length;
            long[][] ids = new long[batch][];
            for (int b = 0; b < batch; b++) {
                ids[b] = ImageTokens.expand(inputIds[b], m.imageTokenId(), m.dims().visualTokens());
            }
            int images = ImageTokens.count(ids[0], m.imageTokenId());
            if (images > 0 && pixelValues == null) {
                throw new VlmscopeException("input_ids contain the image token " + m.imageTokenId()
                        + " but no pixel_values were given");
            }
            if (images == 0 && pixelValues != null) {
                throw new VlmscopeException("pixel_values were given but input_ids contain no image token (id "
                        + m.imageTokenId() + ")");
            }
            for (long[] row : ids) {
                if (ImageTokens.count(row, m.imageTokenId()) != images) {
                    throw new VlmscopeException("every row of a batch must hold the same number of image tokens");
                }
            }
            OnnxTensor features;
            if (pixelValues != null) {
                checkPixels(pixelValues, batch, m.dims());
                OnnxTensor px = own("pixel_values", OrtTensors.toOrt(session.env(), pixelValues));
                try (OrtSession.Result r = session.run("vision", Map.of("pixel_values", px))) {
                    Forward.collect(session, "vision", r, hooks);
                    features = own("image_features", OrtTensors.toOrt(session.env(),
                            OrtTensors.fromOrt("image_features", (OnnxTensor) r.get("image_features").orElseThrow())));
                }
            } else {
                features = own("image_features", OrtTensors.toOrt(session.env(), new NamedTensor("image_features",
                        org.vlmscope.core.DType.F32, new long[] {batch, 0, m.dims().dModel()},
                        java.nio.ByteBuffer.allocate(0))));
            }
            OnnxTensor idTensor = own("input_ids", Inputs.longs(session.env(), ids));
            try (OrtSession.Result r = session.run("embed", Map.of("input_ids", idTensor, "image_features", features))) {
                Forward.collect(session, "embed", r, hooks);
                NamedTensor embeds = OrtTensors.fromOrt("inputs_embeds", (OnnxTensor) r.get("inputs_embeds").orElseThrow());
                decoderInputs.put("inputs_embeds", own("inputs_embeds", OrtTensors.toOrt(session.env(), embeds)));
            }
            int len = ids[0].length;
            length = len;
            decoderInputs.put("attention_mask", own("attention_mask", Inputs.longs(session.env(), Inputs.filled(batch, len, 1))));
            decoderInputs.put("position_ids", own("position_ids", Inputs.longs(session.env(), Inputs.range(batch, 0, len))));
            for (int i = 0; i < m.dims().layers(); i++) {
                for (String kv : List.of("key", "value")) {
                    String name = "past_key_values." + i + "." + kv;
                    decoderInputs.put(name, own(name, session.emptyCache(batch)));
                }
            }
        }

        private static void checkPixels(NamedTensor px, int batch, ModelManifest.Dims d) {
            long[] s = px.shape();
            long[] want = {batch, 3, d.imageSize(), d.imageSize()};
            if (!java.util.Arrays.equals(s, want) || px.dtype() != org.vlmscope.core.DType.F32) {
                throw new VlmscopeException("pixel_values must be float32 " + java.util.Arrays.toString(want)
                        + ", got " + px.dtype() + " " + java.util.Arrays.toString(s));
            }
        }

        private OnnxTensor own(String name, OnnxTensor t) {
            OnnxTensor old = owned.put(name, t);
            if (old != null) {
                old.close();
            }
            return t;
        }

        int length() {
            return length;
        }

        Map<String, OnnxTensor> decoderInputs() {
            return decoderInputs;
        }

        @Override
        public void close() {
            owned.values().forEach(OnnxTensor::close);
            owned.clear();
        }
    }
}
