package org.vlmscope.runtime.foreign;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.onnx.proto.OnnxMl.AttributeProto;
import ai.onnxruntime.OrtException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.vlmscope.core.vocab.HookName;
import org.vlmscope.graph.Attributes;
import org.vlmscope.graph.Graph;
import org.vlmscope.graph.Node;
import org.vlmscope.graph.OnnxModel;
import org.vlmscope.graph.Value;
import org.vlmscope.graph.locate.HookLocator;
import org.vlmscope.graph.locate.Location;
import org.vlmscope.graph.passes.Expose;

/**
 * ONNX Runtime's builder fuses each residual addition with the norm after it into SkipSimplifiedLayerNormalization,
 * whose fourth output is the sum: the residual stream. Here the PyTorch Llama export is fused that way by hand
 * (as ONNX Runtime's optimizer does), run in ONNX Runtime, and the residual stream the locator finds in the fused
 * graph must still be PyTorch's.
 */
class FusedNormsTest {
    private static final String MS = "com.microsoft";
    private static final float EPS = 1e-5f;

    @Test
    void theSumOutputOfFusedSkipNormsIsTheResidualStream() throws OrtException {
        ForeignModel m = ForeignModel.llama();
        OnnxModel plain = OnnxModel.load(m.dir().resolve("model.onnx"));
        Location names = HookLocator.locate(plain);
        OnnxModel fused = OnnxModel.load(m.dir().resolve("model.onnx"));
        fuse(fused, names, m.layers());

        Location location = HookLocator.locate(fused);
        assertEquals(m.layers(), location.layers());
        assertTrue(location.unavailable().get(HookName.everyLayer(HookName.ln2Normalized(0))).contains("fused"));
        assertEquals("SkipSimplifiedLayerNormalization", fused.graph().require(location.tensors()
                .get(HookName.residPost(1))).producer().opType());
        new Expose(List.of(HookName.residPre(0), HookName.EVERY_RESID_POST)).apply(fused);
        List<String> outputs = new ArrayList<>(List.of(HookName.residPre(0)));
        for (int i = 0; i < m.layers(); i++) {
            outputs.add(HookName.residPost(i));
        }
        outputs.add(HookName.LOGITS);
        Map<String, double[]> out = ForeignModel.run(fused, m.dir(), m.foreignInputs(), outputs);
        float[] states = m.reference("hidden_states");
        int row = states.length / (m.layers() + 1);
        for (int r = 0; r <= m.layers(); r++) {
            ForeignGraphRunTest.assertClose(Arrays.copyOfRange(states, r * row, (r + 1) * row), out.get(outputs.get(r)),
                    outputs.get(r) + " of the fused graph");
        }
        ForeignGraphRunTest.assertClose(m.reference("logits"), out.get(HookName.LOGITS), "logits of the fused graph");
    }

    /** Every residual addition and the RMSNorm after it become one skip norm; layer 0's first norm a simplified one. */
    private static void fuse(OnnxModel model, Location names, int layers) {
        Graph g = model.graph();
        model.importDomain(MS, 1);
        Value x0 = g.require(names.tensors().get(HookName.residPre(0)));
        replaceNorm(g, names.tensors().get(HookName.ln1Normalized(0)), "SimplifiedLayerNormalization", "",
                List.of(x0), null);
        for (int i = 0; i < layers; i++) {
            String afterMid = names.tensors().get(HookName.ln2Normalized(i));
            String afterPost = i + 1 < layers ? names.tensors().get(HookName.ln1Normalized(i + 1))
                    : names.tensors().get(HookName.LN_FINAL);
            fuseStep(g, names.tensors().get(HookName.residMid(i)), afterMid);
            fuseStep(g, names.tensors().get(HookName.residPost(i)), afterPost);
        }
        g.cleanup();
    }

    /** The residual Add writing {@code sum} and the norm whose normalized tensor is {@code normalized}, fused. */
    private static void fuseStep(Graph g, String sum, String normalized) {
        Node add = g.require(sum).producer();
        replaceNorm(g, normalized, "SkipSimplifiedLayerNormalization", MS, List.of(add.input(1), add.input(0)),
                g.require(sum));
    }

    /** A fused norm node replaces the weight Mul after {@code normalized}; its sum output replaces {@code sum}. */
    private static void replaceNorm(Graph g, String normalized, String op, String domain, List<Value> inputs, Value sum) {
        Node weighting = g.require(normalized).consumers().get(0);
        Value weight = weighting.input(0) == g.require(normalized) ? weighting.input(1) : weighting.input(0);
        List<Value> in = new ArrayList<>(inputs);
        in.add(weight);
        List<Value> out = new ArrayList<>(List.of(g.freshValue(op + "_out")));
        if (sum != null) {
            out.add(g.freshValue(op + "_mean"));
            out.add(g.freshValue(op + "_inv_std"));
            out.add(g.freshValue(op + "_sum"));
        }
        AttributeProto eps = Attributes.of("epsilon", EPS);
        g.addNode(op, domain, null, in, out, Map.of("epsilon", eps));
        g.replaceAllUses(weighting.output(0), out.get(0));
        if (sum != null) {
            g.replaceUses(g.require(sum.name()), out.get(3), n -> true);
        }
    }
}
