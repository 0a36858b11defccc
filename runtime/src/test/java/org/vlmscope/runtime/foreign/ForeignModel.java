package org.vlmscope.runtime.foreign;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OnnxValue;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import java.nio.FloatBuffer;
import java.nio.LongBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.vlmscope.core.SafetensorsFile;
import org.vlmscope.exporter.ExportOptions;
import org.vlmscope.exporter.Exporter;
import org.vlmscope.graph.OnnxModel;
import org.vlmscope.graph.locate.HookLocator;
import org.vlmscope.graph.passes.Pass;

/**
 * One model of testdata/foreign (made by make_foreign.py): its PyTorch export, its reference tensors, and
 * vlmscope's own export of the same weights; each graph is run in ONNX Runtime with passes applied in memory.
 */
record ForeignModel(Path dir, int layers, int vocab) {
    static final OrtEnvironment ENV = OrtEnvironment.getEnvironment();

    static ForeignModel llama() {
        return new ForeignModel(root().resolve("llama"), 4, 256);
    }

    static ForeignModel phi3() {
        return new ForeignModel(root().resolve("phi3"), 3, 260);
    }

    private static Path root() {
        for (Path p = Path.of("").toAbsolutePath(); p != null; p = p.getParent()) {
            if (Files.isDirectory(p.resolve("testdata/foreign"))) {
                return p.resolve("testdata/foreign");
            }
        }
        throw new IllegalStateException("testdata/foreign not found");
    }

    float[] reference(String name) {
        try (SafetensorsFile f = SafetensorsFile.open(dir.resolve("reference.safetensors"))) {
            return f.toFloatArray(name);
        }
    }

    long[] referenceShape(String name) {
        try (SafetensorsFile f = SafetensorsFile.open(dir.resolve("reference.safetensors"))) {
            return f.info(name).shape();
        }
    }

    int sequence() {
        return (int) referenceShape("input_ids")[1];
    }

    /** The PyTorch export with its hooks located and {@code passes} applied. */
    OnnxModel foreign(List<Pass> passes) {
        OnnxModel model = OnnxModel.load(dir.resolve("model.onnx"));
        HookLocator.locate(model);
        passes.forEach(p -> p.apply(model));
        return model;
    }

    /** The reference input ids and attention mask, as the foreign graph takes them. */
    Map<String, OnnxTensor> foreignInputs() throws OrtException {
        try (SafetensorsFile f = SafetensorsFile.open(dir.resolve("reference.safetensors"))) {
            long[] shape = f.info("input_ids").shape();
            Map<String, OnnxTensor> in = new LinkedHashMap<>();
            in.put("input_ids", OnnxTensor.createTensor(ENV, LongBuffer.wrap(f.toLongArray("input_ids")), shape));
            in.put("attention_mask", OnnxTensor.createTensor(ENV, LongBuffer.wrap(f.toLongArray("attention_mask")), shape));
            return in;
        }
    }

    /** vlmscope's export (fp32) of the same weights, from the LLaVA checkpoint beside the foreign graph. */
    Path ownExport(Path into) {
        Exporter.export(dir.resolve("llava"), into, ExportOptions.parse("fp32"));
        return into;
    }

    /** decoder.onnx of an own export with {@code passes} applied. */
    static OnnxModel ownDecoder(Path export, List<Pass> passes) {
        OnnxModel model = OnnxModel.load(export.resolve("decoder.onnx"));
        passes.forEach(p -> p.apply(model));
        return model;
    }

    /** The reference embeddings with an all-ones mask, positions 0..seq-1 and an empty KV cache. */
    Map<String, OnnxTensor> ownDecoderInputs(int kvHeads, int headDim) throws OrtException {
        int s = sequence();
        long[] ones = new long[s];
        long[] positions = new long[s];
        for (int i = 0; i < s; i++) {
            ones[i] = 1;
            positions[i] = i;
        }
        Map<String, OnnxTensor> in = new LinkedHashMap<>();
        in.put("inputs_embeds", OnnxTensor.createTensor(ENV, FloatBuffer.wrap(reference("inputs_embeds")),
                referenceShape("inputs_embeds")));
        in.put("attention_mask", OnnxTensor.createTensor(ENV, LongBuffer.wrap(ones), new long[] {1, s}));
        in.put("position_ids", OnnxTensor.createTensor(ENV, LongBuffer.wrap(positions), new long[] {1, s}));
        for (int i = 0; i < layers; i++) {
            for (String kv : List.of("key", "value")) {
                in.put("past_key_values." + i + "." + kv, OnnxTensor.createTensor(ENV, FloatBuffer.allocate(0),
                        new long[] {1, kvHeads, 0, headDim}));
            }
        }
        return in;
    }

    /** Runs {@code model} (weights beside {@code weightsDir}) and returns the named float or int64 outputs as doubles. */
    static Map<String, double[]> run(OnnxModel model, Path weightsDir, Map<String, OnnxTensor> inputs,
                                     List<String> outputs) throws OrtException {
        try (OrtSession.SessionOptions options = new OrtSession.SessionOptions()) {
            options.addConfigEntry("session.model_external_initializers_file_folder_path", weightsDir.toString());
            try (OrtSession session = ENV.createSession(model.toBytes(), options);
                 OrtSession.Result r = session.run(inputs, new java.util.LinkedHashSet<>(outputs))) {
                Map<String, double[]> out = new LinkedHashMap<>();
                for (String name : outputs) {
                    out.put(name, doubles((OnnxTensor) r.get(name).map(OnnxValue.class::cast).orElseThrow()));
                }
                return out;
            }
        }
    }

    private static double[] doubles(OnnxTensor t) {
        if (t.getInfo().type == ai.onnxruntime.OnnxJavaType.INT64) {
            return java.util.Arrays.stream(t.getLongBuffer().array()).asDoubleStream().toArray();
        }
        FloatBuffer b = t.getFloatBuffer();
        double[] out = new double[b.remaining()];
        for (int i = 0; i < out.length; i++) {
            out[i] = b.get(i);
        }
        return out;
    }

    static OnnxTensor floats(float[] values, long... shape) throws OrtException {
        return OnnxTensor.createTensor(ENV, FloatBuffer.wrap(values), shape);
    }
}
