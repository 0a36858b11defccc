package org.vlmscope.runtime.foreign;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.vlmscope.core.BadArgumentException;
import org.vlmscope.core.SafetensorsFile;
import org.vlmscope.core.SafetensorsWriter.NamedTensor;
import org.vlmscope.core.vocab.HookName;
import org.vlmscope.runtime.intervene.Intervention;
import org.vlmscope.runtime.run.OnnxFileRun;
import org.vlmscope.runtime.session.Device;

/** {@link OnnxFileRun} on the PyTorch exports of testdata/foreign and on a graph the locator cannot read. */
class OnnxFileRunTest {
    private static Map<String, NamedTensor> referenceInputs(ForeignModel m) {
        try (SafetensorsFile f = SafetensorsFile.open(m.dir().resolve("reference.safetensors"))) {
            Map<String, NamedTensor> in = new LinkedHashMap<>();
            for (String name : List.of("input_ids", "attention_mask")) {
                in.put(name, NamedTensor.ofLongs(name, f.info(name).shape(), f.toLongArray(name)));
            }
            return in;
        }
    }

    @Test
    void aKnockoutGivenAsAnInterventionEqualsPyTorchsKnockout() {
        ForeignModel m = ForeignModel.phi3();
        OnnxFileRun graph = OnnxFileRun.load(m.dir().resolve("model.onnx"));
        assertEquals(3, graph.layers());
        int last = m.sequence() - 1;
        var knockout = new Intervention.Knockout(new int[] {2, 3, 4, 5}, new int[] {last}, new int[] {1, 2});
        OnnxFileRun.Result r = graph.run(referenceInputs(m), new OnnxFileRun.Request(
                List.of(HookName.EVERY_RESID_POST), List.of(knockout), null), Device.CPU, 0);
        assertEquals(List.of(HookName.residPost(0), HookName.residPost(1), HookName.residPost(2)), r.exposed());
        float[] logits = r.outputs().get(HookName.LOGITS).toFloatArray();
        double[] asDoubles = new double[logits.length];
        for (int i = 0; i < logits.length; i++) {
            asDoubles[i] = logits[i];
        }
        ForeignGraphRunTest.assertClose(m.reference("knockout.logits"), asDoubles, "knockout through OnnxFileRun");
        // Layer 0 is not knocked out: its output equals the clean reference.
        float[] states = m.reference("hidden_states");
        float[] post0 = r.outputs().get(HookName.residPost(0)).toFloatArray();
        for (int i = 0; i < post0.length; i++) {
            assertEquals(states[post0.length + i], post0[i], 3e-5);
        }
    }

    @Test
    void aKnockoutOnAGraphWithAKvCacheBlocksTheCachedKeys() {
        // Qwen2 exported with past keys and values: the first 8 tokens are the cache, the last 4 run now.
        ForeignModel m = new ForeignModel(ForeignModel.llama().dir().resolveSibling("qwen2"), 3, 240);
        int past = 8;
        int s = m.sequence();
        Map<String, NamedTensor> in = new LinkedHashMap<>();
        try (SafetensorsFile f = SafetensorsFile.open(m.dir().resolve("reference.safetensors"))) {
            long[] ids = f.toLongArray("input_ids");
            in.put("input_ids", NamedTensor.ofLongs("input_ids", new long[] {1, s - past},
                    java.util.Arrays.copyOfRange(ids, past, s)));
            in.put("attention_mask", NamedTensor.ofLongs("attention_mask", new long[] {1, s}, f.toLongArray("attention_mask")));
            for (int i = 0; i < 3; i++) {
                for (String kv : List.of(".key", ".value")) {
                    String name = "past_key_values." + i + kv;
                    in.put(name, NamedTensor.ofFloats(name, f.info(name).shape(), f.toFloatArray(name)));
                }
            }
        }
        OnnxFileRun graph = OnnxFileRun.load(m.dir().resolve("model.onnx"));
        var knockout = new Intervention.Knockout(new int[] {2, 3, 4, 5}, new int[] {s - 1}, new int[] {1, 2});
        OnnxFileRun.Result r = graph.run(in, new OnnxFileRun.Request(List.of(HookName.residPost(0)),
                List.of(knockout), null), Device.CPU, 0);
        int vocab = m.vocab();
        float[] logits = r.outputs().get(HookName.LOGITS).toFloatArray();
        float[] clean = m.reference("logits");
        float[] knocked = m.reference("knockout.logits");
        for (int q = past; q < s; q++) {
            float[] expected = q == s - 1 ? knocked : clean;
            for (int v = 0; v < vocab; v++) {
                assertEquals(expected[q * vocab + v], logits[(q - past) * vocab + v], 3e-5, "position " + q);
            }
        }
        float[] states = m.reference("hidden_states");
        float[] post0 = r.outputs().get(HookName.residPost(0)).toFloatArray();
        int d = post0.length / (s - past);
        for (int i = 0; i < post0.length; i++) {
            assertEquals(states[s * d + past * d + i], post0[i], 3e-5, "layer 0 output");
        }
    }

    @Test
    void aMissingInputIsNamedWithItsTypeAndShape() {
        ForeignModel m = ForeignModel.llama();
        Map<String, NamedTensor> onlyIds = new LinkedHashMap<>(referenceInputs(m));
        onlyIds.remove("attention_mask");
        OnnxFileRun graph = OnnxFileRun.load(m.dir().resolve("model.onnx"));
        BadArgumentException e = assertThrows(BadArgumentException.class, () -> graph.run(onlyIds,
                new OnnxFileRun.Request(List.of(), List.of(), null), Device.CPU, 0));
        assertTrue(e.getMessage().contains("needs input 'attention_mask' (int64[batch,sequence])"), e.getMessage());
    }

    @Test
    void aGraphTheLocatorCannotReadRunsWithPlainOutputs() {
        OnnxFileRun graph = OnnxFileRun.load(ForeignModel.llama().dir().resolveSibling("cnn.onnx"));
        assertNull(graph.location());
        assertNotNull(graph.notLocated());
        assertTrue(graph.hooks().isEmpty());
        float[] pixels = new float[3 * 16 * 16];
        for (int i = 0; i < pixels.length; i++) {
            pixels[i] = (float) Math.cos(i);
        }
        Map<String, NamedTensor> in = Map.of("pixel_values",
                NamedTensor.ofFloats("pixel_values", new long[] {1, 3, 16, 16}, pixels));
        OnnxFileRun.Result r = graph.run(in, new OnnxFileRun.Request(List.of(), List.of(), null), Device.CPU, 0);
        assertArrayEquals(new long[] {1, 10}, r.outputs().get("logits").shape());
        assertThrows(IllegalStateException.class, () -> graph.run(in,
                new OnnxFileRun.Request(List.of(), List.of(), null), Device.CPU, 0), "a loaded file runs once");
        OnnxFileRun again = OnnxFileRun.load(graph.file());
        BadArgumentException e = assertThrows(BadArgumentException.class, () -> again.run(in,
                new OnnxFileRun.Request(List.of(HookName.EVERY_RESID_POST), List.of(), null), Device.CPU, 0));
        assertTrue(e.getMessage().contains("found 1 residual addition"), e.getMessage());
    }
}
