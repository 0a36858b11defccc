package org.vlmscope.exporter;

import ai.onnx.proto.OnnxMl.TensorProto.DataType;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.vlmscope.core.VlmscopeException;
import org.vlmscope.exporter.config.RopeScaling;
import org.vlmscope.exporter.config.TextConfig;
import org.vlmscope.graph.Ops;
import org.vlmscope.graph.Value;

/**
 * Rotary position embeddings as Hugging Face computes them (modeling_rope_utils): inverse frequencies
 * theta^(-2j/dim), optionally rescaled (linear, dynamic NTK, llama3), angles = position * inv_freq in float32,
 * cos and sin of [angles, angles], applied as x * cos + rotate_half(x) * sin.
 */
final class Rotary {
    /** Qwen2-VL's vision tower uses VisionRotaryEmbedding's default base. */
    static final double VISION_THETA = 10000.0;

    private Rotary() {
    }

    /** cos and sin [batch, 1, seq, head_dim] in the compute type, from position_ids [batch, seq]. */
    static Value[] cosSin(LayerBuilder lb, Value positionIds, TextConfig tc) {
        Ops ops = lb.ops;
        int dim = tc.headDim();
        if (tc.partialRotaryFactor() != 1.0) {
            // Hugging Face's Llama/Phi-3 attention rotates the whole head; a partial rotary factor has no meaning there.
            throw new VlmscopeException("partial_rotary_factor " + tc.partialRotaryFactor()
                    + " is not supported for " + tc.modelType() + " (only 1.0)");
        }
        RopeScaling scaling = tc.ropeScaling();
        String type = scaling == null ? "default" : scaling.type();
        float[] invFreq = switch (type) {
            case "default", "dynamic" -> inverseFrequencies(tc.ropeTheta(), dim);
            case "linear" -> divide(inverseFrequencies(tc.ropeTheta(), dim), scaling.factor());
            case "llama3" -> llama3(inverseFrequencies(tc.ropeTheta(), dim), scaling);
            default -> throw new VlmscopeException("rope_scaling type '" + type
                    + "' is not supported; supported: default, linear, dynamic, llama3");
        };
        Value inv = ops.floats(DataType.FLOAT, new long[] {invFreq.length}, toDoubles(invFreq));
        if (type.equals("dynamic")) {
            inv = dynamicInverseFrequencies(lb, positionIds, tc, inv);
        }
        Value angles = ops.op("Mul").in(floatColumn(lb, positionIds), inv).out();
        return cosSinOfAngles(lb, angles, true);
    }

    /**
     * Qwen2-VL's multimodal rotary (HF apply_multimodal_rotary_pos_emb): position_ids [3, batch, seq] hold a
     * temporal, a height and a width position per token; the first {@code sections[0]} frequency pairs of a head turn
     * with the temporal one, the next {@code sections[1]} with the height, the last {@code sections[2]} with the
     * width (the frequencies are the plain ones). Returns cos and sin [batch, 1, seq, head_dim] in the compute type.
     */
    static Value[] multimodalCosSin(LayerBuilder lb, Value positionIds, TextConfig tc, List<Integer> sections) {
        Ops ops = lb.ops;
        float[] invFreq = inverseFrequencies(tc.ropeTheta(), tc.headDim());
        List<Value> parts = new ArrayList<>();
        int start = 0;
        for (int axis = 0; axis < sections.size(); axis++) {
            int size = sections.get(axis);
            if (size == 0) {
                continue;
            }
            Value axisIds = ops.op("Gather").in(positionIds, ops.scalarInt(axis)).attr("axis", 0L).out();
            Value inv = ops.floats(DataType.FLOAT, new long[] {size},
                    toDoubles(Arrays.copyOfRange(invFreq, start, start + size)));
            parts.add(ops.op("Mul").in(floatColumn(lb, axisIds), inv).out());
            start += size;
        }
        Value angles = ops.op("Concat").in(parts).attr("axis", -1L).out();
        return cosSinOfAngles(lb, angles, true);
    }

    /**
     * Qwen2-VL's vision rotary (HF VisionRotaryEmbedding with rot_pos_emb): each patch's (row, column) on its image's
     * grid, positions [patches, 2], turns the first head_dim / 4 frequency pairs of a head with the row and the next
     * head_dim / 4 with the column, frequencies 10000^(-4j/head_dim). Returns cos and sin [1, patches, head_dim] in
     * float32: HF applies this rotary in float32 whatever the model's type.
     */
    static Value[] visionCosSin(LayerBuilder lb, Value positions, long headDim) {
        Ops ops = lb.ops;
        float[] invFreq = inverseFrequencies(VISION_THETA, (int) (headDim / 2));
        Value inv = ops.floats(DataType.FLOAT, new long[] {invFreq.length}, toDoubles(invFreq));
        // [patches, 2, 1] * [head_dim / 4] -> [patches, 2, head_dim / 4] -> rows' angles, then columns'
        Value angles = ops.op("Reshape").in(ops.op("Mul").in(floatColumn(lb, positions), inv).out(),
                ops.ints(0, -1)).out();
        return cosSinOfAngles(lb, angles, false);
    }

    /** int64 positions [...] as float32 [..., 1], ready to multiply by a row of frequencies. */
    private static Value floatColumn(LayerBuilder lb, Value positionIds) {
        Ops ops = lb.ops;
        return ops.op("Unsqueeze").in(ops.op("Cast").in(positionIds).attr("to", (long) DataType.FLOAT_VALUE).out(),
                ops.ints(-1)).out();
    }

    /**
     * cos and sin of [angles, angles] (angles [..., seq, head_dim / 2], float32) with a unit heads axis inserted
     * before the sequence axis (they multiply x [..., heads, seq, head_dim]), in the compute type when
     * {@code inCompute}, else in float32.
     */
    private static Value[] cosSinOfAngles(LayerBuilder lb, Value angles, boolean inCompute) {
        Ops ops = lb.ops;
        Value emb = ops.op("Concat").in(angles, angles).attr("axis", -1L).out();
        Value cos = ops.op("Cos").in(emb).out();
        Value sin = ops.op("Sin").in(emb).out();
        cos = ops.op("Unsqueeze").in(inCompute ? lb.toCompute(cos) : cos, ops.ints(-3)).out();
        sin = ops.op("Unsqueeze").in(inCompute ? lb.toCompute(sin) : sin, ops.ints(-3)).out();
        return new Value[] {cos, sin};
    }

    /** x * cos + rotate_half(x) * sin for x [batch, heads, seq, head_dim]; rotate_half(x) = [-x2, x1]. */
    static Value apply(LayerBuilder lb, Value x, Value cos, Value sin, long headDim) {
        Ops ops = lb.ops;
        long half = headDim / 2;
        Value x1 = ops.op("Slice").in(x, ops.ints(0), ops.ints(half), ops.ints(-1)).out();
        Value x2 = ops.op("Slice").in(x, ops.ints(half), ops.ints(headDim), ops.ints(-1)).out();
        Value rotated = ops.op("Concat").in(ops.op("Neg").in(x2).out(), x1).attr("axis", -1L).out();
        return ops.op("Add").in(ops.op("Mul").in(x, cos).out(), ops.op("Mul").in(rotated, sin).out()).out();
    }

    /** 1 / theta^(2j/dim), j = 0..dim/2-1, rounded once to float32. */
    static float[] inverseFrequencies(double theta, int dim) {
        float[] inv = new float[dim / 2];
        for (int j = 0; j < inv.length; j++) {
            inv[j] = (float) (1.0 / Math.pow(theta, (double) (float) (2.0 * j / dim)));
        }
        return inv;
    }

    private static float[] divide(float[] inv, double factor) {
        float[] out = new float[inv.length];
        for (int j = 0; j < inv.length; j++) {
            out[j] = (float) (inv[j] / factor);
        }
        return out;
    }

    /** Llama 3.1's frequency-dependent rescaling: long wavelengths divided by factor, short kept, a ramp between. */
    static float[] llama3(float[] inv, RopeScaling s) {
        double lowWavelen = s.originalMaxPositionEmbeddings() / s.lowFreqFactor();
        double highWavelen = s.originalMaxPositionEmbeddings() / s.highFreqFactor();
        float[] out = new float[inv.length];
        for (int j = 0; j < inv.length; j++) {
            double wavelen = 2 * Math.PI / inv[j];
            if (wavelen > lowWavelen) {
                out[j] = (float) (inv[j] / s.factor());
            } else if (wavelen < highWavelen) {
                out[j] = inv[j];
            } else {
                double smooth = (s.originalMaxPositionEmbeddings() / wavelen - s.lowFreqFactor())
                        / (s.highFreqFactor() - s.lowFreqFactor());
                out[j] = (float) ((1 - smooth) * inv[j] / s.factor() + smooth * inv[j]);
            }
        }
        return out;
    }

    /**
     * Dynamic NTK scaling: once the sequence (max position + 1) exceeds max_position_embeddings, the base becomes
     * theta * (factor * len / max - (factor - 1))^(dim / (dim - 2)). Hugging Face keeps the grown frequencies
     * as module state; computed from the current positions it is the same for a generation whose positions grow.
     */
    private static Value dynamicInverseFrequencies(LayerBuilder lb, Value positionIds, TextConfig tc, Value staticInv) {
        Ops ops = lb.ops;
        int dim = tc.headDim();
        double factor = tc.ropeScaling().factor();
        double maxPos = tc.maxPositionEmbeddings();
        Value maxId = ops.op("ReduceMax").in(positionIds).attr("keepdims", 0L).out();
        Value len = ops.op("Add").in(ops.op("Cast").in(maxId).attr("to", (long) DataType.FLOAT_VALUE).out(),
                ops.scalar(1, DataType.FLOAT)).out();
        Value ratio = ops.op("Sub").in(ops.op("Mul").in(len, ops.scalar(factor / maxPos, DataType.FLOAT)).out(),
                ops.scalar(factor - 1, DataType.FLOAT)).out();
        Value base = ops.op("Mul").in(ops.op("Pow").in(ratio, ops.scalar((double) dim / (dim - 2), DataType.FLOAT)).out(),
                ops.scalar(tc.ropeTheta(), DataType.FLOAT)).out();
        double[] exponents = new double[dim / 2];
        for (int j = 0; j < exponents.length; j++) {
            exponents[j] = (float) (2.0 * j / dim);
        }
        Value grownInv = ops.op("Reciprocal").in(ops.op("Pow").in(base,
                ops.floats(DataType.FLOAT, new long[] {exponents.length}, exponents)).out()).out();
        Value grown = ops.op("Greater").in(len, ops.scalar(maxPos, DataType.FLOAT)).out();
        return ops.op("Where").in(grown, grownInv, staticInv).out();
    }

    private static double[] toDoubles(float[] values) {
        double[] out = new double[values.length];
        for (int i = 0; i < values.length; i++) {
            out[i] = values[i];
        }
        return out;
    }
}
