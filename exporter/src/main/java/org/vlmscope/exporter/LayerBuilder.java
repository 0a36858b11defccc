package org.vlmscope.exporter;

import ai.onnx.proto.OnnxMl.TensorProto.DataType;
import java.util.ArrayList;
import java.util.List;
import org.vlmscope.core.DType;
import org.vlmscope.core.TensorInfo;
import org.vlmscope.core.vocab.BlockedScore;
import org.vlmscope.core.VlmscopeException;
import org.vlmscope.exporter.config.HfActivations;
import org.vlmscope.graph.ElemTypes;
import org.vlmscope.graph.Graph;
import org.vlmscope.graph.Ops;
import org.vlmscope.graph.TensorType;
import org.vlmscope.graph.blocks.RmsNorm;
import org.vlmscope.graph.Value;

/**
 * The building blocks the three graphs share: weights streamed into the graph's data file, Linear, the norms,
 * activations and casts. Everything between graph inputs and outputs runs in the compute type; norms and
 * softmax are computed in float32 as Hugging Face does.
 */
final class LayerBuilder {
    final Ops ops;
    final Graph graph;
    final DataType compute;
    private final WeightWriter weights;
    private final FamilyCheckpoint checkpoint;
    private final List<String> hooks = new ArrayList<>();
    /** Facts about the graph that passes check against (layer count, norm epsilon), saved as metadata_props. */
    final java.util.Map<String, String> metadata = new java.util.LinkedHashMap<>();

    LayerBuilder(Ops ops, WeightWriter weights, FamilyCheckpoint checkpoint) {
        this.ops = ops;
        this.graph = ops.graph();
        this.weights = weights;
        this.checkpoint = checkpoint;
        this.compute = ElemTypes.of(weights.target());
    }

    /** Hook names in the order they were made (recorded in vlmscope.json). */
    List<String> hooks() {
        return hooks;
    }

    /**
     * Registers a tensor under its hook name (the name must be exact, so a clash is an error) and records its
     * type: the compute type and {@code dims} (numbers, or names of symbolic dimensions).
     */
    Value hook(Value v, Object... dims) {
        hooks.add(v.name());
        v.setType(TensorType.of(compute, dims));
        return v;
    }

    /** A whole checkpoint tensor as an initializer named {@code onnxName}. */
    Value tensor(String onnxName, TensorInfo info) {
        return graph.addInitializer(weights.copy(onnxName, checkpoint.weights(), info));
    }

    /** A whole checkpoint tensor stored under a new shape with the same element count. */
    Value tensor(String onnxName, TensorInfo info, long... dims) {
        return graph.addInitializer(weights.copy(onnxName, checkpoint.weights(), info, 0, info.numel(), dims));
    }

    /** Checkpoint tensor {@code name} with exactly {@code shape}. */
    Value tensor(String onnxName, String name, long... shape) {
        return tensor(onnxName, checkpoint.tensor(name, shape));
    }

    /** x @ W (+ b), W stored as [in, out] from Hugging Face's [out, in]. */
    Value linear(Value x, LinearRef ref, String onnxBase) {
        Value w = graph.addInitializer(weights.transposedRows(onnxBase + ".W", checkpoint.weights(), ref.weight(),
                ref.rowStart(), ref.rows()));
        Value y = ops.op("MatMul").in(x, w).out();
        if (ref.bias() == null) {
            return y;
        }
        Value b = graph.addInitializer(weights.copy(onnxBase + ".b", checkpoint.weights(), ref.bias(), ref.rowStart(),
                ref.rows(), new long[] {ref.rows()}));
        return ops.op("Add").in(y, b).out();
    }

    /** LayerNorm over the last axis with the module's weight and bias (statistics in float32). */
    Value layerNorm(Value x, String module, long size, double eps, String onnxBase) {
        Value gamma = tensor(onnxBase + ".w", module + ".weight", size);
        Value beta = tensor(onnxBase + ".b", module + ".bias", size);
        return ops.op("LayerNormalization").in(x, gamma, beta).attr("axis", -1L).attr("epsilon", (float) eps)
                .attr("stash_type", 1L).out();
    }

    /**
     * RMSNorm without its weight: x / sqrt(mean(x^2) + eps), computed in float32 and cast back, as Hugging Face's
     * LlamaRMSNorm does. The result is the hook {@code hookName}; the caller multiplies by the weight.
     */
    Value rmsNormalized(Value x, double eps, String hookName, Object... dims) {
        return hook(RmsNorm.normalized(ops, x, eps, compute, hookName), dims);
    }

    /** x cast from float32 to the compute type (a no-op in float32 exports). */
    Value toCompute(Value x32) {
        return compute == DataType.FLOAT ? x32 : ops.op("Cast").in(x32).attr("to", (long) compute.getNumber()).out();
    }

    /** x cast from the compute type to float32 (a no-op in float32 exports). */
    Value toFloat(Value x) {
        return compute == DataType.FLOAT ? x : ops.op("Cast").in(x).attr("to", (long) DataType.FLOAT_VALUE).out();
    }

    /** Softmax over the last axis in float32, back in the compute type. */
    Value softmax(Value scores, String hookName, Object... dims) {
        Value p = ops.op("Softmax").in(toFloat(scores)).attr("axis", -1L).out();
        Value pattern = compute == DataType.FLOAT ? ops.op("Identity").in(p).out(hookName)
                : ops.op("Cast").in(p).attr("to", (long) compute.getNumber()).out(hookName);
        return hook(pattern, dims);
    }

    /** The activations of Hugging Face's ACT2FN that these models use. */
    Value activation(String name, Value x) {
        return switch (name) {
            case "gelu" -> {
                // exact GELU: 0.5 x (1 + erf(x / sqrt 2))
                Value erf = ops.op("Erf").in(ops.op("Div").in(x, constant(Math.sqrt(2.0))).out()).out();
                Value onePlus = ops.op("Add").in(erf, constant(1.0)).out();
                yield ops.op("Mul").in(ops.op("Mul").in(x, onePlus).out(), constant(0.5)).out();
            }
            case "gelu_new", "gelu_pytorch_tanh", "gelu_fast" -> {
                // tanh approximation: 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))
                Value cube = ops.op("Mul").in(ops.op("Mul").in(x, x).out(), x).out();
                Value inner = ops.op("Add").in(x, ops.op("Mul").in(cube, constant(0.044715)).out()).out();
                Value t = ops.op("Tanh").in(ops.op("Mul").in(inner, constant(Math.sqrt(2.0 / Math.PI))).out()).out();
                Value onePlus = ops.op("Add").in(t, constant(1.0)).out();
                yield ops.op("Mul").in(ops.op("Mul").in(x, onePlus).out(), constant(0.5)).out();
            }
            case "quick_gelu" -> ops.op("Mul").in(x,
                    ops.op("Sigmoid").in(ops.op("Mul").in(x, constant(1.702)).out()).out()).out();
            case "silu", "swish" -> ops.op("Mul").in(x, ops.op("Sigmoid").in(x).out()).out();
            case "relu" -> ops.op("Relu").in(x).out();
            default -> throw new VlmscopeException("activation '" + name
                    + "' is not supported; supported: " + String.join(", ", HfActivations.SUPPORTED));
        };
    }

    /**
     * The additive attention mask of a boolean {@code allowed}: 0 where a query may attend a key, the compute type's
     * lowest finite value elsewhere, as Hugging Face's eager attention fills it.
     */
    Value additiveMask(Value allowed) {
        double lowest = BlockedScore.mask(compute == DataType.FLOAT16 ? DType.F16 : DType.F32);
        return ops.op("Where").in(allowed, constant(0.0), constant(lowest)).out();
    }

    /** A scalar in the compute type. */
    Value constant(double v) {
        return ops.scalar(v, compute);
    }
}
