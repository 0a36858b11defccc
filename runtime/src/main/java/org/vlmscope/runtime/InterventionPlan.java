package org.vlmscope.runtime;

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
import org.vlmscope.graph.TensorType;
import org.vlmscope.graph.passes.AttentionBias;
import org.vlmscope.graph.passes.LogitLens;
import org.vlmscope.graph.passes.Pass;
import org.vlmscope.graph.passes.Patch;

/**
 * Turns interventions into the passes each graph variant needs and the extra inputs those passes read.
 * Patches (ablation included) apply to the prefill; knockouts to every step; the lens to the prefill.
 * Several interventions on one hook share one patch input; several knockouts in one layer share one bias.
 */
final class InterventionPlan {
    static final String EMBEDDING_HOOK = "blocks.0.hook_resid_pre";

    private final ModelSession session;
    private final List<Intervention> interventions;
    private final LensRequest lens;

    InterventionPlan(ModelSession session, List<Intervention> interventions, LensRequest lens) {
        this.session = session;
        this.interventions = List.copyOf(interventions);
        this.lens = lens;
        for (Intervention i : interventions) {
            if (i instanceof Intervention.HookPatch p) {
                session.graphOf(p.hook());
                checkSequenceHook(p.hook());
            }
        }
    }

    boolean isEmpty() {
        return interventions.isEmpty() && lens == null;
    }

    /** Passes for one graph at the prefill or at a decode step. */
    List<Pass> passes(String graph, boolean decode) {
        List<Pass> passes = new ArrayList<>();
        if (!decode) {
            List<String> hooks = patchedHooks().keySet().stream().filter(h -> session.graphOf(h).equals(graph)).toList();
            if (!hooks.isEmpty()) {
                passes.add(new Patch(hooks));
            }
        }
        if (graph.equals("decoder")) {
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
                passes.add(new LogitLens(lens.k(), lens.targets()));
            }
        }
        return passes;
    }

    /**
     * Adds the extra inputs of one graph run whose queries are positions [past, past + seq) of a sequence with
     * {@code past + seq} keys. Tensors made here are added to {@code owned} for the caller to close.
     */
    void feed(String graph, boolean decode, int past, int seq, Map<String, OnnxTensor> inputs, List<OnnxTensor> owned) {
        if (!decode) {
            for (Map.Entry<String, List<Intervention>> e : patchedHooks().entrySet()) {
                if (session.graphOf(e.getKey()).equals(graph)) {
                    feedPatch(e.getKey(), e.getValue(), seq, inputs, owned);
                }
            }
        }
        if (graph.equals("decoder")) {
            feedBiases(past, seq, inputs, owned);
        }
    }

    private TreeMap<String, List<Intervention>> patchedHooks() {
        TreeMap<String, List<Intervention>> byHook = new TreeMap<>();
        for (Intervention i : interventions) {
            String hook = i instanceof Intervention.Ablation ? EMBEDDING_HOOK
                    : i instanceof Intervention.HookPatch p ? p.hook() : null;
            if (hook != null) {
                byHook.computeIfAbsent(hook, h -> new ArrayList<>()).add(i);
            }
        }
        return byHook;
    }

    /**
     * Checks knockout positions against the longest sequence a run reaches: the prompt plus the tokens it may
     * generate (a knockout may name positions that decoding has yet to produce).
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

    private void feedPatch(String hook, List<Intervention> list, int seq, Map<String, OnnxTensor> inputs,
                           List<OnnxTensor> owned) {
        long[] trailing = checkSequenceHook(hook);
        int width = (int) Arrays.stream(trailing).reduce(1, (a, b) -> a * b);
        float[] value = new float[seq * width];
        float[] mask = new float[seq];
        for (Intervention i : list) {
            int[] positions = i instanceof Intervention.Ablation a ? a.positions() : ((Intervention.HookPatch) i).positions();
            float[] rows = i instanceof Intervention.Ablation a ? a.vector() : ((Intervention.HookPatch) i).values();
            Positions.check(positions, seq, "patch of " + hook + ":");
            boolean single = rows.length == width;
            if (!single && rows.length != (long) width * positions.length) {
                throw new BadArgumentException("patch of " + hook + " needs a value of width " + width + " (one row for all "
                        + "positions) or " + positions.length + " rows of width " + width + "; got " + rows.length + " values");
            }
            for (int n = 0; n < positions.length; n++) {
                System.arraycopy(rows, single ? 0 : n * width, value, positions[n] * width, width);
                mask[positions[n]] = 1f;
            }
        }
        long[] valueShape = new long[2 + trailing.length];
        long[] maskShape = new long[2 + trailing.length];
        valueShape[0] = 1;
        valueShape[1] = seq;
        System.arraycopy(trailing, 0, valueShape, 2, trailing.length);
        Arrays.fill(maskShape, 1);
        maskShape[1] = seq;
        put(hook + ".patch_value", valueShape, value, inputs, owned);
        put(hook + ".patch_mask", maskShape, mask, inputs, owned);
    }

    private void feedBiases(int past, int seq, Map<String, OnnxTensor> inputs, List<OnnxTensor> owned) {
        int total = past + seq;
        float blocked = session.computeType() == DType.F16 ? -65504f : Float.NEGATIVE_INFINITY;
        TreeMap<Integer, float[]> biases = new TreeMap<>();
        for (Intervention i : interventions) {
            if (!(i instanceof Intervention.Knockout k)) {
                continue;
            }
            for (int layer : k.layers()) {
                float[] bias = biases.computeIfAbsent(layer, l -> new float[seq * total]);
                for (int q : k.to()) {
                    if (q < past || q >= total) {
                        continue;
                    }
                    for (int key : k.from()) {
                        bias[(q - past) * total + key] = blocked;
                    }
                }
            }
        }
        for (Map.Entry<Integer, float[]> e : biases.entrySet()) {
            float[] bias = e.getValue();
            for (int q = 0; q < seq; q++) {
                boolean open = false;
                for (int key = 0; key <= past + q && !open; key++) {
                    open = bias[q * total + key] == 0f;
                }
                if (!open) {
                    throw new BadArgumentException("knockout leaves query position " + (past + q) + " with no key to attend to in layer "
                            + e.getKey() + " (every earlier position and itself are blocked)");
                }
            }
            put(AttentionBias.inputName(e.getKey()), new long[] {1, 1, seq, total}, bias, inputs, owned);
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
