package org.vlmscope.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.onnxruntime.OnnxJavaType;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.FloatBuffer;
import java.nio.LongBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.vlmscope.runtime.summary.TopTokens;
import org.vlmscope.core.ModelManifest;
import org.vlmscope.golden.Compare;
import org.vlmscope.graph.OnnxModel;
import org.vlmscope.graph.passes.AttentionBias;
import org.vlmscope.graph.passes.Expose;
import org.vlmscope.graph.passes.LogitLens;
import org.vlmscope.graph.passes.Pass;
import org.vlmscope.graph.passes.Patch;

/**
 * {@code vlmscope surgery} on the exported llava-tiny decoder: the written file loads in a plain ONNX Runtime
 * session from its path, wherever it was written, and computes exactly what the same passes applied in memory
 * compute; its report lists what was added; wrong arguments are usage errors.
 */
class SurgeryCommandTest {
    private static final int SEQ = 12;
    private static final int PATCHED = 7;
    private static final String PATCH_HOOK = "blocks.1.hook_resid_mid";
    /** The passes of the full surgery below, as a run would apply them. */
    private static final List<Pass> PASSES = List.of(new Expose(List.of("blocks.*.hook_resid_post")),
            new Patch(List.of(PATCH_HOOK)), new AttentionBias(List.of(1, 2)), new LogitLens(5, List.of(3L, 39L)));
    private static final String[] FULL = {"--expose", "blocks.*.hook_resid_post", "--patch", PATCH_HOOK,
            "--attn-bias", "1-2", "--lens", "5", "--lens-targets", "3,39"};

    @TempDir
    static Path shared;
    static Path model;
    static ModelManifest.Dims dims;

    @TempDir
    Path tmp;

    private final OrtEnvironment env = OrtEnvironment.getEnvironment();
    private final Map<String, OnnxTensor> inputs = new LinkedHashMap<>();

    @BeforeAll
    static void export() {
        model = shared.resolve("model");
        Cli.ok("export", ExportCommandTest.golden().toString(), "-o", model.toString());
        dims = ModelManifest.read(model).dims();
    }

    @AfterEach
    void closeInputs() {
        inputs.values().forEach(OnnxTensor::close);
    }

    /** Written to another directory, the graph reaches the weights through a link beside it and runs from its path. */
    @Test
    void writtenGraphComputesWhatTheInMemoryVariantComputes() throws OrtException, IOException {
        Path out = tmp.resolve("elsewhere/deeper/decoder-surgery.onnx");
        List<String> args = new ArrayList<>(List.of("surgery", model.resolve("decoder.onnx").toString(),
                "-o", out.toString()));
        args.addAll(List.of(FULL));
        Cli.Result r = Cli.ok(args.toArray(String[]::new));
        assertTrue(r.out().startsWith("wrote " + out + " (expose, patch, attention_bias, logit_lens)"), r::toString);
        assertTrue(r.out().contains("external data: decoder.onnx.data"), r::toString);
        assertTrue(Files.isSameFile(model.resolve("decoder.onnx.data"), out.resolveSibling("decoder.onnx.data")));
        assertLine(r.out(), "added inputs \\(4\\):");
        assertLine(r.out(), PATCH_HOOK + ".patch_value\\s+float32\\[batch,sequence,64\\]");
        assertLine(r.out(), PATCH_HOOK + ".patch_mask\\s+float32\\?");
        assertLine(r.out(), "blocks\\.\\{1,2\\}\\.attn\\.bias\\s+float32\\?");
        assertLine(r.out(), "added outputs \\(8\\):");
        assertLine(r.out(), "blocks\\.\\{0\\.\\.3\\}\\.hook_resid_post\\s+float32\\[batch,sequence,64\\]");
        assertLine(r.out(), "lens\\.top_ids\\s+int64\\[5,batch,sequence,5\\]");
        assertLine(r.out(), "lens\\.target_probs\\s+float32\\[5,batch,sequence,2\\]");

        feedDecoderInputs();
        OnnxModel inMemory = OnnxModel.load(model.resolve("decoder.onnx"));
        PASSES.forEach(p -> p.apply(inMemory));
        try (OrtSession.SessionOptions fileOptions = new OrtSession.SessionOptions();
             OrtSession file = env.createSession(out.toString(), fileOptions);
             OrtSession.SessionOptions memoryOptions = externalDataIn(model);
             OrtSession memory = env.createSession(inMemory.toBytes(), memoryOptions);
             OrtSession.Result fromFile = run(file, inputs);
             OrtSession.Result fromMemory = run(memory, inputs)) {
            assertEquals(memory.getOutputNames(), file.getOutputNames());
            for (String name : file.getOutputNames()) {
                assertEquals(bytes(fromMemory, name), bytes(fromFile, name), name);
            }
            checkLensAgainstLogits(fromFile);
            checkPatchAndBiasTakeEffect(file, fromFile);
        }
    }

    /** Beside its input the graph keeps the plain reference to the data file; also the usual case. */
    @Test
    void writtenBesideTheInputRuns() throws OrtException {
        Path out = model.resolve("decoder-lens.onnx");
        Cli.Result r = Cli.ok("surgery", model.resolve("decoder.onnx").toString(), "-o", out.toString(),
                "--lens", "3");
        assertLine(r.out(), "added inputs \\(0\\):");
        assertLine(r.out(), "lens\\.top_probs\\s+float32\\[5,batch,sequence,3\\]");
        feedDecoderInputs();
        try (OrtSession.SessionOptions options = new OrtSession.SessionOptions();
             OrtSession file = env.createSession(out.toString(), options);
             OrtSession.Result result = run(file, inputs)) {
            checkLensAgainstLogits(result);
        }
    }

    @Test
    void unknownExposeGlobIsAUsageError() {
        Cli.usageError(surgery("--expose", "blocks.*.hook_nonexistent"), "blocks.*.hook_nonexistent");
    }

    @Test
    void unknownPatchHookIsAUsageError() {
        Cli.usageError(surgery("--patch", "blocks.9.hook_resid_pre"), "unknown hook 'blocks.9.hook_resid_pre'");
    }

    @Test
    void attentionBiasLayerOutOfRangeIsAUsageError() {
        Cli.usageError(surgery("--attn-bias", "2-4"), "layer 4 is out of range", "0-3");
        Cli.usageError(surgery("--attn-bias", "1-x"), "bad layer list '1-x'");
    }

    @Test
    void lensTargetsOutsideTheVocabularyOrWithoutLensAreUsageErrors() {
        Cli.usageError(surgery("--lens", "5", "--lens-targets", "1024"), "target token 1024", "0-1023");
        Cli.usageError(surgery("--lens-targets", "3"), "--lens-targets needs --lens");
        Cli.usageError(surgery("--lens", "0"), "--lens K must be at least 1");
    }

    /** The vision graph has no decoder layers: asking it for a bias or a lens is the argument's fault. */
    @Test
    void decoderPassesOnTheVisionGraphAreUsageErrors() {
        Path out = tmp.resolve("v.onnx");
        Cli.usageError(Cli.run("surgery", model.resolve("vision.onnx").toString(), "-o", out.toString(),
                "--attn-bias", "all"), "--attn-bias needs a decoder graph");
        Cli.usageError(Cli.run("surgery", model.resolve("vision.onnx").toString(), "-o", out.toString(),
                "--lens", "5"), "vlmscope.layers");
        assertTrue(Files.notExists(out));
    }

    @Test
    void nothingToDoIsAUsageError() {
        Cli.usageError(surgery(), "nothing to do");
    }

    @Test
    void missingInputFails() {
        Path absent = tmp.resolve("absent.onnx");
        Cli.failsWith(Cli.run("surgery", absent.toString(), "-o", tmp.resolve("o.onnx").toString(), "--lens", "5"),
                absent.toString());
    }

    private Cli.Result surgery(String... options) {
        List<String> args = new ArrayList<>(List.of("surgery", model.resolve("decoder.onnx").toString(),
                "-o", tmp.resolve("out.onnx").toString()));
        args.addAll(List.of(options));
        return Cli.run(args.toArray(String[]::new));
    }

    /**
     * The decoder's inputs for a prompt of {@link #SEQ} random embeddings, plus those the full surgery adds: a
     * patch at {@link #PATCHED} and, in layers 1 and 2, the last query blocked from keys 0-3.
     */
    private void feedDecoderInputs() throws OrtException {
        Random random = new Random(7);
        int d = dims.dModel();
        put("inputs_embeds", new long[] {1, SEQ, d}, randomFloats(random, SEQ * d));
        long[] positions = new long[SEQ];
        Arrays.setAll(positions, i -> i);
        inputs.put("attention_mask", OnnxTensor.createTensor(env, LongBuffer.wrap(filled(SEQ, 1L)), new long[] {1, SEQ}));
        inputs.put("position_ids", OnnxTensor.createTensor(env, LongBuffer.wrap(positions), new long[] {1, SEQ}));
        for (int i = 0; i < dims.layers(); i++) {
            for (String kv : List.of("key", "value")) {
                inputs.put("past_key_values." + i + "." + kv, OnnxTensor.createTensor(env, ByteBuffer.allocateDirect(0),
                        new long[] {1, dims.kvHeads(), 0, dims.headDim()}, OnnxJavaType.FLOAT));
            }
        }
        put(PATCH_HOOK + ".patch_value", new long[] {1, SEQ, d}, randomFloats(random, SEQ * d));
        float[] mask = new float[SEQ];
        mask[PATCHED] = 1;
        put(PATCH_HOOK + ".patch_mask", new long[] {1, SEQ, 1}, mask);
        float[] bias = new float[SEQ * SEQ];
        Arrays.fill(bias, (SEQ - 1) * SEQ, (SEQ - 1) * SEQ + 4, Float.NEGATIVE_INFINITY);
        for (int layer : List.of(1, 2)) {
            put(AttentionBias.inputName(layer), new long[] {1, 1, SEQ, SEQ}, bias);
        }
    }

    /**
     * The lens's last row is the final norm and unembedding of the last residual stream: what the decoder's own
     * logits are, computed by a different subgraph.
     */
    private void checkLensAgainstLogits(OrtSession.Result result) throws OrtException {
        float[] logits = floats(result, "logits");
        int vocab = dims.vocab();
        int k = (int) ((OnnxTensor) result.get("lens.top_ids").orElseThrow()).getInfo().getShape()[3];
        long[] ids = longs(result, "lens.top_ids");
        float[] values = floats(result, "lens.top_logits");
        int last = dims.layers() * SEQ * k;
        for (int pos = 0; pos < SEQ; pos++) {
            List<TopTokens.Token> top = TopTokens.of(logits, pos * vocab, vocab, k);
            assertEquals(top.get(0).id(), ids[last + pos * k], "lens top-1 at position " + pos);
            float[] expected = new float[k];
            for (int j = 0; j < k; j++) {
                expected[j] = top.get(j).logit();
            }
            Compare.allClose("lens values at position " + pos, expected, Arrays.copyOfRange(values,
                    last + pos * k, last + (pos + 1) * k), 1e-4, 1e-4);
        }
    }

    /**
     * The added inputs are live, and act where causal attention says they may: the patch at position p changes
     * layer 1's output from p on and nothing before it; the bias, blocking only the last query, changes only the
     * last position's logits. Each is compared with the same file run with that input made neutral (zeros).
     */
    private void checkPatchAndBiasTakeEffect(OrtSession file, OrtSession.Result all) throws OrtException {
        int d = dims.dModel();
        int vocab = dims.vocab();
        try (OnnxTensor noMask = OnnxTensor.createTensor(env, FloatBuffer.wrap(new float[SEQ]), new long[] {1, SEQ, 1});
             OnnxTensor noBias = OnnxTensor.createTensor(env, FloatBuffer.wrap(new float[SEQ * SEQ]),
                     new long[] {1, 1, SEQ, SEQ});
             OrtSession.Result unpatched = run(file, with(Map.of(PATCH_HOOK + ".patch_mask", noMask)));
             OrtSession.Result unbiased = run(file, with(Map.of(AttentionBias.inputName(1), noBias,
                     AttentionBias.inputName(2), noBias)))) {
            assertChangedFrom("patch", floats(unpatched, "blocks.1.hook_resid_post"),
                    floats(all, "blocks.1.hook_resid_post"), PATCHED, d);
            assertChangedFrom("bias", floats(unbiased, "logits"), floats(all, "logits"), SEQ - 1, vocab);
        }
    }

    /** Rows before {@code row} are bit-identical, row {@code row} is not. */
    private static void assertChangedFrom(String what, float[] neutral, float[] applied, int row, int width) {
        assertArrayEquals(Arrays.copyOf(neutral, row * width), Arrays.copyOf(applied, row * width),
                what + ": positions before " + row);
        assertTrue(Compare.maxAbsDiff(Arrays.copyOfRange(neutral, row * width, (row + 1) * width),
                Arrays.copyOfRange(applied, row * width, (row + 1) * width)) > 1e-3, what + ": position " + row);
    }

    /** Runs a session on those of {@code fed} it declares as inputs. */
    private static OrtSession.Result run(OrtSession session, Map<String, OnnxTensor> fed) throws OrtException {
        Map<String, OnnxTensor> declared = new LinkedHashMap<>(fed);
        declared.keySet().retainAll(session.getInputNames());
        return session.run(declared);
    }

    /** The fed inputs with some replaced. */
    private Map<String, OnnxTensor> with(Map<String, OnnxTensor> replaced) {
        Map<String, OnnxTensor> all = new LinkedHashMap<>(inputs);
        all.putAll(replaced);
        return all;
    }

    private static OrtSession.SessionOptions externalDataIn(Path dir) throws OrtException {
        OrtSession.SessionOptions o = new OrtSession.SessionOptions();
        o.addConfigEntry("session.model_external_initializers_file_folder_path", dir.toString());
        return o;
    }

    private void put(String name, long[] shape, float[] values) throws OrtException {
        inputs.put(name, OnnxTensor.createTensor(env, FloatBuffer.wrap(values), shape));
    }

    private static float[] randomFloats(Random random, int n) {
        float[] out = new float[n];
        for (int i = 0; i < n; i++) {
            out[i] = (float) random.nextGaussian();
        }
        return out;
    }

    private static long[] filled(int n, long value) {
        long[] out = new long[n];
        Arrays.fill(out, value);
        return out;
    }

    private static ByteBuffer bytes(OrtSession.Result r, String name) {
        return ((OnnxTensor) r.get(name).orElseThrow()).getByteBuffer();
    }

    private static float[] floats(OrtSession.Result r, String name) {
        FloatBuffer b = ((OnnxTensor) r.get(name).orElseThrow()).getFloatBuffer();
        float[] out = new float[b.remaining()];
        b.get(out);
        return out;
    }

    private static long[] longs(OrtSession.Result r, String name) {
        LongBuffer b = ((OnnxTensor) r.get(name).orElseThrow()).getLongBuffer();
        long[] out = new long[b.remaining()];
        b.get(out);
        return out;
    }

    private static void assertLine(String out, String regex) {
        assertTrue(out.lines().anyMatch(l -> l.strip().matches(regex)), () -> "no line matches " + regex + ":\n" + out);
    }
}
