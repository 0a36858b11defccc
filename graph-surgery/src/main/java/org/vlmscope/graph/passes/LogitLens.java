package org.vlmscope.graph.passes;

import ai.onnx.proto.OnnxMl.TensorProto.DataType;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.vlmscope.core.vocab.GraphNames;
import org.vlmscope.core.vocab.HookName;
import org.vlmscope.graph.Graph;
import org.vlmscope.graph.GraphException;
import org.vlmscope.graph.OnnxModel;
import org.vlmscope.graph.Ops;
import org.vlmscope.graph.TensorType;
import org.vlmscope.graph.Value;
import org.vlmscope.graph.blocks.RmsNorm;

/**
 * The logit-lens pass: the model's final norm and unembedding (the same initializers, not copies) applied to
 * every residual stream inside the graph, keeping only the top k tokens. Row 0 reads {@code blocks.0.hook_resid_pre}
 * (the embeddings), row i reads {@code blocks.{i-1}.hook_resid_post}. Outputs {@code lens.top_ids},
 * {@code lens.top_logits}, {@code lens.top_probs} [rows, batch, seq, k] and, for requested token ids,
 * {@code lens.target_probs} [rows, batch, seq, targets]. Each row's [batch, seq, vocab] logits are consumed
 * inside the graph; no full-vocabulary tensor is ever an output.
 * <p>
 * With {@code lastRowNormedTwice} the last row is {@code lm_head(norm(norm(x)))}: what the paper's code computes,
 * because Hugging Face's last hidden state already has the final norm applied and the code norms every hidden state
 * again. Every other row is unchanged.
 */
public record LogitLens(int k, List<Long> targets, boolean lastRowNormedTwice) implements Pass {
    public static final String TOP_IDS = GraphNames.LENS_TOP_IDS;
    public static final String TOP_LOGITS = GraphNames.LENS_TOP_LOGITS;
    public static final String TOP_PROBS = GraphNames.LENS_TOP_PROBS;
    public static final String TARGET_PROBS = GraphNames.LENS_TARGET_PROBS;
    static final String NORM_WEIGHT = GraphNames.FINAL_NORM_WEIGHT;
    static final String UNEMBED = GraphNames.UNEMBED_WEIGHT;

    public LogitLens {
        targets = List.copyOf(targets);
        if (k < 1) {
            throw new GraphException("logit lens: k must be at least 1, got " + k);
        }
    }

    /** The lens that applies the final norm once at every row. */
    public LogitLens(int k, List<Long> targets) {
        this(k, targets, false);
    }

    @Override
    public String name() {
        return "logit_lens";
    }

    @Override
    public Map<String, Object> describe() {
        // Ordered, so the recorded JSON (which identifies a variant) is the same in every run.
        Map<String, Object> d = new java.util.LinkedHashMap<>();
        d.put("k", k);
        d.put("targets", targets);
        // Only when set, so the variants of the once-normed lens keep the identity they were cached under.
        if (lastRowNormedTwice) {
            d.put("last_row_normed_twice", true);
        }
        return d;
    }

    /** The residual-stream hooks the lens reads, row by row. */
    public static List<String> rows(int layers) {
        List<String> rows = new ArrayList<>(List.of(HookName.residPre(0)));
        for (int i = 0; i < layers; i++) {
            rows.add(HookName.residPost(i));
        }
        return rows;
    }

    @Override
    public void apply(OnnxModel model) {
        Graph graph = model.graph();
        if (graph.value(TOP_IDS) != null) {
            throw new GraphException("logit lens: the graph already has a lens");
        }
        int layers = GraphFacts.layers(model);
        List<String> known = Hooks.of(model);
        List<String> rows = rows(layers);
        long present = rows.stream().filter(known::contains).count();
        if (present != rows.size()) {
            throw new GraphException("logit lens: found " + present + " of the " + rows.size()
                    + " residual-stream hooks a " + layers + "-layer model should have");
        }
        Value normWeight = requireInitializer(graph, GraphFacts.finalNormWeight(model));
        Value unembed = requireInitializer(graph, GraphFacts.unembed(model));
        long vocab = unembed.initializer().getDims(1);
        for (long t : targets) {
            if (t < 0 || t >= vocab) {
                throw new GraphException("logit lens: target token " + t + " is outside the vocabulary (0-" + (vocab - 1) + ")");
            }
        }
        if (k > vocab) {
            throw new GraphException("logit lens: k = " + k + " exceeds the vocabulary size " + vocab);
        }
        DataType compute = GraphFacts.computeType(model);
        double eps = GraphFacts.rmsNormEps(model);
        Ops ops = new Ops(graph, model.opset());
        Value kValue = ops.ints(k);
        Value targetIds = targets.isEmpty() ? null : ops.ints(targets.stream().mapToLong(Long::longValue).toArray());
        List<Value> ids = new ArrayList<>();
        List<Value> logits = new ArrayList<>();
        List<Value> probs = new ArrayList<>();
        List<Value> targetProbs = new ArrayList<>();
        for (int r = 0; r < rows.size(); r++) {
            Value h = finalNorm(ops, graph.require(rows.get(r)), normWeight, eps, compute);
            if (lastRowNormedTwice && r == rows.size() - 1) {
                h = finalNorm(ops, h, normWeight, eps, compute);
            }
            Value rowLogits = ops.op("MatMul").in(h, unembed).out();
            if (compute != DataType.FLOAT) {
                rowLogits = ops.op("Cast").in(rowLogits).attr("to", (long) DataType.FLOAT_VALUE).out();
            }
            List<Value> top = ops.op("TopK").in(rowLogits, kValue).attr("axis", -1L).attr("largest", 1L)
                    .attr("sorted", 1L).outs(2);
            Value logSumExp = logSumExp(ops, rowLogits);
            logits.add(stackable(ops, top.get(0)));
            ids.add(stackable(ops, top.get(1)));
            probs.add(stackable(ops, ops.op("Exp").in(ops.op("Sub").in(top.get(0), logSumExp).out()).out()));
            if (targetIds != null) {
                Value picked = ops.op("Gather").in(rowLogits, targetIds).attr("axis", -1L).out();
                targetProbs.add(stackable(ops, ops.op("Exp").in(ops.op("Sub").in(picked, logSumExp).out()).out()));
            }
        }
        output(graph, ops, TOP_IDS, ids, TensorType.of(DataType.INT64, rows.size(), "batch", "sequence", k));
        output(graph, ops, TOP_LOGITS, logits, TensorType.of(DataType.FLOAT, rows.size(), "batch", "sequence", k));
        output(graph, ops, TOP_PROBS, probs, TensorType.of(DataType.FLOAT, rows.size(), "batch", "sequence", k));
        if (targetIds != null) {
            output(graph, ops, TARGET_PROBS, targetProbs,
                    TensorType.of(DataType.FLOAT, rows.size(), "batch", "sequence", targets.size()));
        }
        SurgeryLog.record(model, this);
    }

    /** The model's final RMSNorm: x / sqrt(mean(x^2) + eps), times the norm weight. */
    private static Value finalNorm(Ops ops, Value x, Value weight, double eps, DataType compute) {
        return ops.op("Mul").in(RmsNorm.normalized(ops, x, eps, compute, null), weight).out();
    }

    /** log(sum(exp(x))) over the last axis, kept as [batch, seq, 1], stable by subtracting the maximum. */
    private static Value logSumExp(Ops ops, Value x) {
        Value max = ops.reduceLastAxis("ReduceMax", x);
        Value shifted = ops.op("Exp").in(ops.op("Sub").in(x, max).out()).out();
        Value sum = ops.op("ReduceSum").in(shifted, ops.ints(-1)).attr("keepdims", 1L).out();
        return ops.op("Add").in(ops.op("Log").in(sum).out(), max).out();
    }

    private static Value stackable(Ops ops, Value x) {
        return ops.op("Unsqueeze").in(x, ops.ints(0)).out();
    }

    private static void output(Graph graph, Ops ops, String name, List<Value> rows, TensorType type) {
        Value out = ops.op("Concat").in(rows).attr("axis", 0L).out(name);
        out.setType(type);
        graph.addOutput(out);
    }

    private static Value requireInitializer(Graph graph, String name) {
        Value v = graph.value(name);
        if (v == null || !v.isInitializer()) {
            throw new GraphException("logit lens: the graph has no initializer '" + name
                    + "' (the final norm weight or the unembedding)");
        }
        return v;
    }
}
