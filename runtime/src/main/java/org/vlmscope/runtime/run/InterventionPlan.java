package org.vlmscope.runtime.run;

import ai.onnxruntime.OnnxTensor;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;
import org.vlmscope.core.BadArgumentException;
import org.vlmscope.core.DType;
import org.vlmscope.core.HalfFloats;
import org.vlmscope.core.SafetensorsWriter.NamedTensor;
import org.vlmscope.core.vocab.BlockedScore;
import org.vlmscope.core.vocab.GraphNames;
import org.vlmscope.core.vocab.HookName;
import org.vlmscope.graph.TensorType;
import org.vlmscope.graph.passes.AttentionBias;
import org.vlmscope.graph.passes.LogitLens;
import org.vlmscope.graph.passes.LogitPositions;
import org.vlmscope.graph.passes.Pass;
import org.vlmscope.graph.passes.Patch;
import org.vlmscope.graph.passes.StartAt;
import org.vlmscope.runtime.intervene.Intervention;
import org.vlmscope.runtime.intervene.LensRequest;
import org.vlmscope.runtime.intervene.Positions;
import org.vlmscope.runtime.session.ModelSession;
import org.vlmscope.runtime.session.OrtTensors;

/**
 * Turns interventions into the passes each graph variant needs and the extra inputs those passes read.
 * Patches (ablation included) apply to the prefill; knockouts to every step; the lens to the prefill.
 * Several interventions on one hook share one patch input; several knockouts in one layer share one bias.
 */
final class InterventionPlan {
    static final String EMBEDDING_HOOK = HookName.residPre(0);

    private final ModelSession session;
    /** Every intervention of the run: the graph variants are built for all of them. */
    private final List<Intervention> interventions;
    /** Row b's own interventions in a batch of conditions; null when every row has all of them. */
    private final List<List<Intervention>> perRow;
    private final LensRequest lens;
    /** Whether the prefill computes logits at the last position only (all rows end there: padding is on the left). */
    private final boolean lastLogitsOnly;
    /** The decoder layer the prefill starts at, fed that layer's residual stream (0: from the embeddings). */
    private final int startLayer;

    InterventionPlan(ModelSession session, List<Intervention> interventions, LensRequest lens) {
        this(session, interventions, lens, false);
    }

    InterventionPlan(ModelSession session, List<Intervention> interventions, LensRequest lens, boolean lastLogitsOnly) {
        this(session, interventions, lens, lastLogitsOnly, 0);
    }

    InterventionPlan(ModelSession session, List<Intervention> interventions, LensRequest lens, boolean lastLogitsOnly,
                     int startLayer) {
        this(session, interventions, null, lens, lastLogitsOnly, startLayer);
    }

    /**
     * A batch of conditions: row b of the batch runs under {@code perRow.get(b)} alone (patches of sequence hooks
     * and knockouts; a vision patch has no row of its own and is refused).
     */
    static InterventionPlan perRow(ModelSession session, List<List<Intervention>> perRow, boolean lastLogitsOnly) {
        List<Intervention> all = perRow.stream().flatMap(List::stream).toList();
        InterventionPlan plan = new InterventionPlan(session, all, perRow.stream().map(List::copyOf).toList(), null,
                lastLogitsOnly, 0);
        List<String> vision = plan.patchedHooks(GraphNames.VISION);
        if (!vision.isEmpty()) {
            throw new BadArgumentException("conditions by row cannot patch " + vision.get(0) + ": the vision graph "
                    + "sees the image, not the rows of prompts");
        }
        return plan;
    }

    private InterventionPlan(ModelSession session, List<Intervention> interventions, List<List<Intervention>> perRow,
                             LensRequest lens, boolean lastLogitsOnly, int startLayer) {
        this.session = session;
        this.interventions = List.copyOf(interventions);
        this.perRow = perRow;
        this.lens = lens;
        this.lastLogitsOnly = lastLogitsOnly;
        this.startLayer = startLayer;
        for (Intervention i : interventions) {
            if (i instanceof Intervention.HookPatch p) {
                session.graphOf(p.hook());
                checkSequenceHook(p.hook());
            }
        }
    }

    int startLayer() {
        return startLayer;
    }

    boolean isEmpty() {
        return interventions.isEmpty() && lens == null;
    }

    /** The hooks of {@code graph} that the interventions patch. */
    List<String> patchedHooks(String graph) {
        return patchedHooks().stream().filter(h -> session.graphOf(h).equals(graph)).toList();
    }

    /** Passes for one graph at the prefill or at a decode step. */
    List<Pass> passes(String graph, boolean decode) {
        List<Pass> passes = new ArrayList<>();
        if (!decode) {
            List<String> hooks = patchedHooks(graph);
            if (!hooks.isEmpty()) {
                passes.add(new Patch(hooks));
            }
        }
        if (graph.equals(GraphNames.DECODER)) {
            TreeSet<Integer> layers = new TreeSet<>();
            for (Intervention i : interventions) {
                if (i instanceof Intervention.Knockout k) {
                    Arrays.stream(k.layers()).forEach(layers::add);
                }
            }
            if (!layers.isEmpty()) {
                passes.add(new AttentionBias(List.copyOf(layers)));
            }
            if (!decode && lens != null) {
                passes.add(new LogitLens(lens.k(), lens.targets(), lens.lastRowNormedTwice()));
            }
            if (!decode && lastLogitsOnly) {
                passes.add(new LogitPositions());
            }
            if (!decode && startLayer > 0) {
                passes.add(new StartAt(startLayer)); // last: it removes the hooks of the layers before it
            }
        }
        return passes;
    }

    /**
     * Adds the extra inputs of one graph run whose queries are positions [past, past + seq) of {@code batch}
     * (padding included). Tensors made here are added to {@code owned} for the caller to close.
     */
    void feed(String graph, boolean decode, int past, int seq, Batch batch, Map<String, OnnxTensor> inputs,
              List<OnnxTensor> owned) {
        if (!decode) {
            for (String hook : patchedHooks(graph)) {
                // Vision hooks have their own fixed token count (577 with CLS, 576 after selection) and are the
                // same for every row; sequence positions shift past each row's padding.
                boolean vision = graph.equals(GraphNames.VISION);
                int rows = vision ? (int) session.hookType(hook).shape().get(1).size() : seq;
                int[] offsets = vision ? new int[] {0} : batch.padding;
                int limit = vision ? rows : batch.shortestRow();
                feedPatch(hook, rows, offsets, limit, inputs, owned);
            }
        }
        if (graph.equals(GraphNames.DECODER)) {
            feedBiases(past, seq, batch, inputs, owned);
            if (!decode && lastLogitsOnly) {
                OnnxTensor last = Inputs.vector(session.env(), -1);
                owned.add(last);
                inputs.put(LogitPositions.INPUT, last);
            }
        }
    }

    /** Row {@code r}'s interventions. */
    private List<Intervention> of(int r) {
        return perRow == null ? interventions : perRow.get(r);
    }

    /** The patches of {@code hook} among {@code list}. */
    private static List<Intervention> patchesOf(String hook, List<Intervention> list) {
        return list.stream().filter(i -> hook.equals(hookOf(i))).toList();
    }

    /** The hook an intervention patches (ablations patch the embedding hook); null for a knockout. */
    private static String hookOf(Intervention i) {
        return i instanceof Intervention.Ablation ? EMBEDDING_HOOK
                : i instanceof Intervention.HookPatch p ? p.hook() : null;
    }

    /** Every patched hook, in name order. */
    private TreeSet<String> patchedHooks() {
        TreeSet<String> hooks = new TreeSet<>();
        for (Intervention i : interventions) {
            if (hookOf(i) != null) {
                hooks.add(hookOf(i));
            }
        }
        return hooks;
    }

    /**
     * Checks knockout positions against the longest sequence every row reaches: its prompt plus the tokens it
     * may generate (a knockout may name positions that decoding has yet to produce).
     */
    void checkKnockouts(int longest) {
        for (Intervention i : interventions) {
            if (i instanceof Intervention.Knockout k) {
                Positions.check(k.from(), longest, "knockout FROM");
                Positions.check(k.to(), longest, "knockout TO");
            }
        }
    }

    /** Patches index the second axis of a hook [batch, seq, ...]; its trailing dimensions must be fixed. */
    private long[] checkSequenceHook(String hook) {
        TensorType t = session.hookType(hook);
        if (t == null || t.rank() < 2 || t.shape().stream().skip(2).anyMatch(d -> !d.isFixed())) {
            throw new BadArgumentException("hook '" + hook + "' cannot be patched by position: patches need a hook shaped "
                    + "[batch, sequence, fixed...], it is " + t);
        }
        return t.shape().stream().skip(2).mapToLong(TensorType.Dim::size).toArray();
    }

    /** One patch input pair for {@code hook}: rows per {@code offsets} entry (a row's padding), positions below {@code limit}. */
    private void feedPatch(String hook, int seq, int[] offsets, int limit,
                           Map<String, OnnxTensor> inputs, List<OnnxTensor> owned) {
        long[] trailing = checkSequenceHook(hook);
        int width = (int) Arrays.stream(trailing).reduce(1, (a, b) -> a * b);
        int rows = offsets.length;
        float[] value = new float[rows * seq * width];
        float[] mask = new float[rows * seq];
        for (int r = 0; r < rows; r++) {
            for (Intervention i : patchesOf(hook, of(r))) {
                int[] positions = i instanceof Intervention.Ablation a ? a.positions() : ((Intervention.HookPatch) i).positions();
                float[] values = i instanceof Intervention.Ablation a ? a.vector() : ((Intervention.HookPatch) i).values();
                Positions.check(positions, limit, "patch of " + hook + ":");
                boolean single = values.length == width;
                if (!single && values.length != (long) width * positions.length) {
                    throw new BadArgumentException("patch of " + hook + " needs a value of width " + width + " (one row for all "
                            + "positions) or " + positions.length + " rows of width " + width + "; got " + values.length + " values");
                }
                for (int n = 0; n < positions.length; n++) {
                    int at = r * seq + offsets[r] + positions[n];
                    System.arraycopy(values, single ? 0 : n * width, value, at * width, width);
                    mask[at] = 1f;
                }
            }
        }
        long[] valueShape = new long[2 + trailing.length];
        long[] maskShape = new long[2 + trailing.length];
        valueShape[0] = rows;
        valueShape[1] = seq;
        System.arraycopy(trailing, 0, valueShape, 2, trailing.length);
        Arrays.fill(maskShape, 1);
        maskShape[0] = rows;
        maskShape[1] = seq;
        put(GraphNames.patchValue(hook), valueShape, value, inputs, owned);
        put(GraphNames.patchMask(hook), maskShape, mask, inputs, owned);
    }

    /** One bias [batch, 1, seq, past + seq] per knocked-out layer; positions shift past each row's padding. */
    private void feedBiases(int past, int seq, Batch batch, Map<String, OnnxTensor> inputs, List<OnnxTensor> owned) {
        int total = past + seq;
        int rows = batch.size();
        float blocked = BlockedScore.knockout(session.computeType());
        TreeMap<Integer, float[]> biases = new TreeMap<>();
        for (int r = 0; r < rows; r++) {
            for (Intervention i : of(r)) {
                if (!(i instanceof Intervention.Knockout k)) {
                    continue;
                }
                for (int layer : k.layers()) {
                    float[] bias = biases.computeIfAbsent(layer, l -> new float[rows * seq * total]);
                    for (int to : k.to()) {
                        int q = batch.absolute(r, to);
                        if (q < past || q >= total) {
                            continue;
                        }
                        for (int from : k.from()) {
                            int key = batch.absolute(r, from);
                            if (key < total) {
                                bias[(r * seq + q - past) * total + key] = blocked;
                            }
                        }
                    }
                }
            }
        }
        for (Map.Entry<Integer, float[]> e : biases.entrySet()) {
            checkEveryQueryKeepsAKey(e.getValue(), e.getKey(), past, seq, batch);
            put(AttentionBias.inputName(e.getKey()), new long[] {rows, 1, seq, total}, e.getValue(), inputs, owned);
        }
    }

    /** A query whose every visible key (causal, not padding) is blocked would turn softmax into NaN: refuse it. */
    private static void checkEveryQueryKeepsAKey(float[] bias, int layer, int past, int seq, Batch batch) {
        int total = past + seq;
        for (int r = 0; r < batch.size(); r++) {
            for (int q = Math.max(0, batch.padding[r] - past); q < seq; q++) {
                boolean open = false;
                for (int key = batch.padding[r]; key <= past + q && !open; key++) {
                    open = bias[(r * seq + q) * total + key] == 0f;
                }
                if (!open) {
                    throw new BadArgumentException("knockout leaves query position " + (past + q - batch.padding[r])
                            + " with no key to attend to in layer " + layer
                            + " (every earlier position and itself are blocked)");
                }
            }
        }
    }

    /** A tensor in the model's compute type. */
    private void put(String name, long[] shape, float[] values, Map<String, OnnxTensor> inputs, List<OnnxTensor> owned) {
        DType dtype = session.computeType();
        ByteBuffer data = ByteBuffer.allocate(values.length * dtype.byteSize()).order(ByteOrder.LITTLE_ENDIAN);
        for (float v : values) {
            if (dtype == DType.F16) {
                data.putShort(HalfFloats.floatToFp16(v));
            } else {
                data.putFloat(v);
            }
        }
        data.flip();
        OnnxTensor t = OrtTensors.toOrt(session.env(), new NamedTensor(name, dtype, shape, data));
        owned.add(t);
        inputs.put(name, t);
    }
}
