package org.vlmscope.graph.locate;

import ai.onnx.proto.OnnxMl.TensorProto.DataType;
import java.util.ArrayList;
import java.util.List;
import org.vlmscope.graph.Node;
import org.vlmscope.graph.Value;

/**
 * An RMSNorm applied to a residual stream: {@code output = weight * normalized}, with {@code normalized =
 * x / sqrt(mean(x^2) + eps)}. Found as PyTorch writes Hugging Face's LlamaRMSNorm (Pow or Mul, ReduceMean, Add eps,
 * Sqrt, then Reciprocal or Div(1, .) and Mul, or a Div, with optional Casts) or as one fused
 * {@code (Skip)SimplifiedLayerNormalization} node, where the tensor before the weight does not exist.
 *
 * @param normalized the tensor before the weight is applied, or null inside a fused node
 */
record NormSite(Value normalized, Value weight, double eps, Value output) {
    static final String SIMPLIFIED = "SimplifiedLayerNormalization";
    static final String SKIP_SIMPLIFIED = "SkipSimplifiedLayerNormalization";

    /** The RMSNorm reading {@code stream} (a chain root), or null when none matches. */
    static NormSite at(Value stream, ResidualChain chain, ElementTypes types) {
        Node producer = stream.producer();
        if (producer != null && producer.opType().equals(SKIP_SIMPLIFIED)
                && producer.outputs().indexOf(stream) == ResidualChain.SKIP_SUM_OUTPUT) {
            return fused(producer, 2);
        }
        for (Value x : readable(stream, chain, types)) {
            for (Node reader : x.consumers()) {
                NormSite site = reader.opType().equals(SIMPLIFIED) && reader.input(0) == x ? fused(reader, 1)
                        : unfused(x, reader);
                if (site != null) {
                    return site;
                }
            }
        }
        return null;
    }

    /** The stream's aliases and their float32 casts (HF computes the norm in float32 whatever the model's type). */
    private static List<Value> readable(Value stream, ResidualChain chain, ElementTypes types) {
        List<Value> out = new ArrayList<>(chain.aliases(stream));
        for (Value alias : List.copyOf(out)) {
            for (Node reader : alias.consumers()) {
                if (reader.opType().equals("Cast") && reader.intAttribute("to", 0) == DataType.FLOAT_VALUE
                        && !out.contains(reader.output(0))) {
                    out.add(reader.output(0));
                }
            }
        }
        return out;
    }

    private static NormSite fused(Node n, int weightInput) {
        if (n.input(weightInput) == null) {
            return null;
        }
        return new NormSite(null, n.input(weightInput), n.floatAttribute("epsilon", 1e-5f), n.output(0));
    }

    /** Matches x^2 -> mean -> + eps -> sqrt -> x / . from the reader that squares x. */
    private static NormSite unfused(Value x, Node square) {
        boolean pow = square.opType().equals("Pow") && square.input(0) == x
                && Double.valueOf(2.0).equals(Scalars.of(square.input(1)));
        boolean mul = square.opType().equals("Mul") && square.input(0) == x && square.input(1) == x;
        if (!pow && !mul) {
            return null;
        }
        Node mean = only(square.output(0), "ReduceMean");
        Node addEps = mean == null ? null : only(mean.output(0), "Add");
        if (addEps == null) {
            return null;
        }
        Double eps = Scalars.of(addEps.input(0) == mean.output(0) ? addEps.input(1) : addEps.input(0));
        Node sqrt = eps == null ? null : only(addEps.output(0), "Sqrt");
        Value normalized = sqrt == null ? null : divided(x, sqrt.output(0));
        if (normalized == null) {
            return null;
        }
        Value beforeWeight = throughCopies(normalized);
        Node weighting = only(beforeWeight, "Mul");
        if (weighting == null) {
            return null;
        }
        Value weight = weighting.input(0) == beforeWeight ? weighting.input(1) : weighting.input(0);
        return new NormSite(beforeWeight, weight, eps, weighting.output(0));
    }

    /** x / root as PyTorch writes it: Div(x, root), or Mul(x, Reciprocal(root)) or Mul(x, Div(1, root)). */
    private static Value divided(Value x, Value root) {
        for (Node reader : root.consumers()) {
            if (reader.opType().equals("Div") && reader.input(0) == x && reader.input(1) == root) {
                return reader.output(0);
            }
            boolean reciprocal = reader.opType().equals("Reciprocal") || reader.opType().equals("Div")
                    && reader.input(1) == root && Double.valueOf(1.0).equals(Scalars.of(reader.input(0)));
            if (reciprocal) {
                for (Node mul : reader.output(0).consumers()) {
                    if (mul.opType().equals("Mul") && List.of(x, reader.output(0)).containsAll(mul.inputs())
                            && mul.inputs().contains(x)) {
                        return mul.output(0);
                    }
                }
            }
        }
        return null;
    }

    /**
     * The last tensor of the chain of Casts and Identities that {@code v} alone feeds ({@code v} itself when none):
     * the cast back to the model's type after a float32 norm or softmax, or an exporter's named copy.
     */
    static Value throughCopies(Value v) {
        Value last = v;
        while (last.consumers().size() == 1 && isCopy(last.consumers().get(0))) {
            last = last.consumers().get(0).output(0);
        }
        return last;
    }

    /** The first tensor of the chain of Casts and Identities that ends in {@code v}, each read only by the next. */
    static Value beforeCopies(Value v) {
        Value first = v;
        while (first.producer() != null && isCopy(first.producer()) && first.producer().input(0) != null
                && first.producer().input(0).consumers().size() == 1) {
            first = first.producer().input(0);
        }
        return first;
    }

    private static boolean isCopy(Node n) {
        return n.opType().equals("Cast") || n.opType().equals("Identity");
    }

    /** The single reader of {@code v} when it is a {@code opType} node, else null. */
    private static Node only(Value v, String opType) {
        List<Node> readers = v.consumers();
        return readers.size() == 1 && readers.get(0).opType().equals(opType) ? readers.get(0) : null;
    }
}
