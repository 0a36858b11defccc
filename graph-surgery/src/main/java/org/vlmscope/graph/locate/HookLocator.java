package org.vlmscope.graph.locate;

import ai.onnx.proto.OnnxMl.TensorProto.DataType;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.vlmscope.core.vocab.HookName;
import org.vlmscope.core.vocab.MetadataKeys;
import org.vlmscope.graph.Graph;
import org.vlmscope.graph.GraphException;
import org.vlmscope.graph.Node;
import org.vlmscope.graph.OnnxModel;
import org.vlmscope.graph.Ops;
import org.vlmscope.graph.TensorType;
import org.vlmscope.graph.Value;
import org.vlmscope.graph.passes.Hooks;

/**
 * Finds the hooks in a decoder graph that vlmscope did not write (PyTorch's exporter, ONNX Runtime's builder) by
 * its structure: the residual chain, one attention node per attention branch, the RMSNorms on the stream, the
 * unembedding after the final norm. It checks what it found (two residual steps per attention block, as many
 * attention blocks as attention nodes in the graph, one hidden size) and fails with the counts otherwise; it never
 * guesses. The result is written into the graph the way the exporter writes hooks: each hook is an Identity of the
 * located tensor under the hook's name, read by everything that read the tensor, and the hook list and the facts
 * passes check (layers, compute type, epsilon, final norm and unembedding) go into metadata_props, so expose,
 * patch, attention bias, logit lens and gradient work on the result unchanged.
 */
public final class HookLocator {
    /** ONNX Runtime's fused attention operators (com.microsoft): the pattern never exists as a tensor. */
    static final Set<String> FUSED_ATTENTION = Set.of("Attention", "MultiHeadAttention", "GroupQueryAttention",
            "PackedAttention", "PackedMultiHeadAttention", "DecoderMaskedMultiHeadAttention", "SparseAttention");
    private static final String NOT_LOCATED = "not located in graphs vlmscope did not write";
    private static final List<String> NEVER_LOCATED = List.of(HookName.EMBED, HookName.everyLayer(HookName.q(0)),
            HookName.everyLayer(HookName.k(0)), HookName.everyLayer(HookName.v(0)), HookName.everyLayer(HookName.z(0)));

    private HookLocator() {
    }

    /** Locates the hooks of a graph that has none yet, and writes them into it (see the class comment). */
    public static Location locate(OnnxModel model) {
        if (!Hooks.of(model).isEmpty()) {
            throw new GraphException("the graph already has hooks (" + Hooks.of(model).size()
                    + " in its metadata); locating is for graphs vlmscope did not write");
        }
        Graph graph = model.graph();
        graph.toposort();
        ElementTypes types = new ElementTypes(graph);
        ResidualChain chain = ResidualChain.find(graph, types);
        int layers = checkLayers(graph, chain);
        Found found = new Found();
        for (int i = 0; i < layers; i++) {
            layer(found, chain, types, i);
        }
        NormSite finalNorm = NormSite.at(chain.roots.get(2 * layers), chain, types);
        Value logits = finalNorm == null ? null : unembedding(finalNorm.output(), chain);
        end(found, graph, finalNorm, logits);
        DataType compute = types.of(chain.roots.get(0));
        if (compute != DataType.FLOAT && compute != DataType.FLOAT16) {
            throw new GraphException("the residual stream of graph '" + graph.name() + "' is "
                    + (compute == null ? "of unknown type" : compute) + "; the locator reads float32 or float16 decoders");
        }
        Long dModel = hiddenSize(graph, found, finalNorm, logits);
        NEVER_LOCATED.forEach(h -> found.missing(h, NOT_LOCATED));
        Location location = bind(model, types, found, new Location(layers, dModel, Map.of(), found.unavailable));
        Map<String, String> meta = model.metadata();
        meta.put(MetadataKeys.HOOKS, String.join(",", found.hooks.keySet()));
        meta.put(MetadataKeys.LAYERS, Integer.toString(layers));
        meta.put(MetadataKeys.COMPUTE_TYPE, compute == DataType.FLOAT ? "fp32" : "fp16");
        // What the logit lens reads: only when both weights are initializers it can share.
        Value unembed = logits == null ? null : unembedWeight(logits);
        if (finalNorm != null && unembed != null && finalNorm.weight().isInitializer() && unembed.isInitializer()) {
            meta.put(MetadataKeys.RMS_NORM_EPS, Double.toString(finalNorm.eps()));
            meta.put(MetadataKeys.FINAL_NORM_WEIGHT, finalNorm.weight().name());
            meta.put(MetadataKeys.UNEMBED, unembed.name());
        }
        meta.put(Location.METADATA_KEY, location.toJson());
        return location;
    }

    /** The hooks after the last layer: the final norm before its weight, and the logits. */
    private static void end(Found found, Graph graph, NormSite finalNorm, Value logits) {
        if (finalNorm == null) {
            found.missing(HookName.LN_FINAL, "no RMSNorm reads the last residual stream");
        } else if (finalNorm.normalized() == null) {
            found.missing(HookName.LN_FINAL, "the final norm is one fused node");
        } else {
            found.hooks.put(HookName.LN_FINAL, finalNorm.normalized());
        }
        if (logits == null) {
            found.missing(HookName.LOGITS, "no MatMul with a 2-D weight reads the final norm");
        } else if (graph.value(HookName.LOGITS) != null && graph.value(HookName.LOGITS) != logits) {
            found.missing(HookName.LOGITS, "the unembedding writes '" + logits.name() + "', and another tensor has "
                    + "the hook's name");
        } else {
            found.hooks.put(HookName.LOGITS, logits);
        }
    }

    /** The hooks found so far, in the order the exporter lists them, and what is missing with the reason. */
    private static final class Found {
        final LinkedHashMap<String, Value> hooks = new LinkedHashMap<>();
        final LinkedHashMap<String, String> unavailable = new LinkedHashMap<>();
        final List<NormSite> norms = new ArrayList<>();

        void missing(String hookPattern, String reason) {
            unavailable.putIfAbsent(hookPattern, reason);
        }
    }

    /** The layer count, after checking the chain against the graph's attention nodes. */
    private static int checkLayers(Graph graph, ResidualChain chain) {
        long attention = graph.nodes().stream().filter(HookLocator::isAttention).count();
        int steps = chain.steps.size();
        String span = steps == 0 ? "" : " (from '" + chain.roots.get(0).name() + "' to '"
                + chain.roots.get(steps).name() + "')";
        if (steps == 0 || steps % 2 != 0 || steps / 2 != attention) {
            throw new GraphException("cannot locate decoder hooks in graph '" + graph.name() + "': found " + steps
                    + " residual addition" + (steps == 1 ? "" : "s") + span + " and " + attention
                    + " attention nodes (Softmax or fused attention); a decoder has two residual additions per attention block, one after attention "
                    + "and one after the MLP");
        }
        List<String> wrong = new ArrayList<>();
        for (int j = 0; j < steps; j++) {
            long inBranch = chain.steps.get(j).branchNodes().stream().filter(HookLocator::isAttention).count();
            long expected = j % 2 == 0 ? 1 : 0;
            if (inBranch != expected) {
                wrong.add("layer " + j / 2 + (j % 2 == 0 ? " attention" : " MLP") + " branch (into '"
                        + chain.steps.get(j).node().name() + "') holds " + inBranch);
            }
        }
        if (!wrong.isEmpty()) {
            throw new GraphException("cannot locate decoder hooks in graph '" + graph.name() + "': " + steps
                    + " residual additions, but attention nodes are not one per attention branch and none per "
                    + "MLP branch: " + String.join("; ", wrong));
        }
        return steps / 2;
    }

    private static boolean isAttention(Node n) {
        return n.opType().equals("Softmax") && n.domain().isEmpty() || FUSED_ATTENTION.contains(n.opType());
    }

    private static void layer(Found found, ResidualChain chain, ElementTypes types, int i) {
        ResidualChain.Step attn = chain.steps.get(2 * i);
        ResidualChain.Step mlp = chain.steps.get(2 * i + 1);
        found.hooks.put(HookName.residPre(i), chain.roots.get(2 * i));
        norm(found, NormSite.at(chain.roots.get(2 * i), chain, types), HookName.ln1Normalized(i));
        Node attention = attn.branchNodes().stream().filter(HookLocator::isAttention).findFirst().orElseThrow();
        if (attention.opType().equals("Softmax")) {
            // In the model's own type: a float32 softmax of half-precision scores is cast on both sides.
            found.hooks.put(HookName.attnScores(i), NormSite.beforeCopies(attention.input(0)));
            found.hooks.put(HookName.pattern(i), NormSite.throughCopies(attention.output(0)));
        } else {
            String reason = "attention is one fused " + attention.opType() + " node: scores and pattern are never "
                    + "tensors (no attention bias or knockout)";
            found.missing(HookName.everyLayer(HookName.attnScores(0)), reason);
            found.missing(HookName.everyLayer(HookName.pattern(0)), reason);
        }
        found.hooks.put(HookName.attnOut(i), attn.branch());
        found.hooks.put(HookName.residMid(i), chain.roots.get(2 * i + 1));
        norm(found, NormSite.at(chain.roots.get(2 * i + 1), chain, types), HookName.ln2Normalized(i));
        found.hooks.put(HookName.mlpOut(i), mlp.branch());
        found.hooks.put(HookName.residPost(i), chain.roots.get(2 * i + 2));
    }

    private static void norm(Found found, NormSite site, String hook) {
        String pattern = HookName.everyLayer(hook);
        if (site == null) {
            found.missing(pattern, "no RMSNorm pattern reads the stream");
        } else if (site.normalized() == null) {
            found.missing(pattern, "the norm is one fused node");
        } else {
            found.norms.add(site);
            found.hooks.put(hook, site.normalized());
        }
    }

    /** The logits: a MatMul of the final norm's output (or a copy of it) by a 2-D weight, or its copy (a cast). */
    private static Value unembedding(Value normed, ResidualChain chain) {
        for (Value x : chain.aliases(normed)) {
            for (Node reader : x.consumers()) {
                Value w = reader.input(1);
                boolean twoD = w != null && w.type() != null && w.type().shape() != null && w.type().rank() == 2;
                if (reader.opType().equals("MatMul") && reader.input(0) == x && twoD) {
                    return NormSite.throughCopies(reader.output(0));
                }
            }
        }
        return null;
    }

    /** The weight of the MatMul that computed {@code logits} (through any casts after it). */
    private static Value unembedWeight(Value logits) {
        return NormSite.beforeCopies(logits).producer().input(1);
    }

    /**
     * The hidden size, after checking that the final norm's weight, every located norm's weight and the
     * unembedding's rows agree on it; null when none of them has a fixed shape.
     */
    private static Long hiddenSize(Graph graph, Found found, NormSite finalNorm, Value logits) {
        List<String> sizes = new ArrayList<>();
        List<Long> distinct = new ArrayList<>();
        List<NormSite> all = new ArrayList<>(found.norms);
        if (finalNorm != null) {
            all.add(finalNorm);
        }
        for (NormSite n : all) {
            Long d = lastDim(n.weight());
            if (d != null && !distinct.contains(d)) {
                distinct.add(d);
                sizes.add("norm weight '" + n.weight().name() + "' has " + d);
            }
        }
        if (logits != null) {
            Value w = unembedWeight(logits);
            Long d = w.type().shape().get(0).isFixed() ? w.type().shape().get(0).size() : null;
            if (d != null && !distinct.contains(d)) {
                distinct.add(d);
                sizes.add("unembedding '" + w.name() + "' has " + d + " rows");
            }
        }
        if (distinct.size() > 1) {
            throw new GraphException("cannot locate decoder hooks in graph '" + graph.name()
                    + "': the hidden sizes disagree: " + String.join(", ", sizes));
        }
        return distinct.isEmpty() ? null : distinct.get(0);
    }

    private static Long lastDim(Value v) {
        if (v.type() == null || v.type().shape() == null || v.type().rank() == 0) {
            return null;
        }
        TensorType.Dim last = v.type().shape().get(v.type().rank() - 1);
        return last.isFixed() ? last.size() : null;
    }

    /**
     * Names each located tensor as its hook: an Identity named after the hook reads the tensor and everything that
     * read the tensor reads the hook instead, so a patch on the hook reaches every reader. Graph inputs and outputs
     * keep their names. Two hooks on one tensor (a layer's resid_post and the next layer's resid_pre) chain.
     */
    private static Location bind(OnnxModel model, ElementTypes types, Found found, Location facts) {
        Graph graph = model.graph();
        Ops ops = new Ops(graph, model.opset());
        Map<Value, Value> latest = new IdentityHashMap<>();
        Map<String, String> original = new LinkedHashMap<>();
        for (Map.Entry<String, Value> e : found.hooks.entrySet()) {
            String hook = e.getKey();
            Value located = e.getValue();
            original.put(hook, located.name());
            Value current = latest.getOrDefault(located, located);
            if (current.name().equals(hook)) {
                continue;
            }
            if (graph.value(hook) != null) {
                throw new GraphException("cannot name tensor '" + located.name() + "' as hook '" + hook
                        + "': the graph already has a tensor of that name");
            }
            DataType elem = types.of(located);
            Value named = graph.newValue(hook, current.type() != null || elem == null ? current.type()
                    : new TensorType(elem, null));
            Node copy = ops.op("Identity").in(current).build(List.of(named));
            graph.replaceUses(current, named, n -> n != copy);
            latest.put(located, named);
        }
        return new Location(facts.layers(), facts.dModel(), original, facts.unavailable());
    }
}
