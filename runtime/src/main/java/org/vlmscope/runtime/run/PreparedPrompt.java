package org.vlmscope.runtime.run;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtSession;
import java.nio.FloatBuffer;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.vlmscope.core.BadArgumentException;
import org.vlmscope.core.SafetensorsWriter.NamedTensor;
import org.vlmscope.core.vocab.GraphNames;
import org.vlmscope.core.vocab.HookName;
import org.vlmscope.graph.passes.Expose;
import org.vlmscope.runtime.image.VisionInput;
import org.vlmscope.runtime.intervene.Intervention;
import org.vlmscope.runtime.intervene.LensRequest;
import org.vlmscope.runtime.session.ModelSession;
import org.vlmscope.runtime.session.OrtTensors;

/**
 * One image and prompt taken through the vision tower and the embedding once, then run through the decoder under
 * any number of conditions: what an experiment does for each image (clean, ablated, knocked out, with the lens).
 * Every condition's result is what {@link Forward#run} returns for it, without recomputing the image. Conditions
 * that change the vision or embed graphs (a patch of a vision hook) need their own {@link Forward#run}. Prompts
 * made from {@link ImageFeatures} share one vision run between them; a prompt of several rows runs a batch of
 * conditions in one decoder call ({@link #runRows}).
 */
public final class PreparedPrompt implements AutoCloseable {
    private final ModelSession session;
    private final Forward.Prefill prefill;
    /** The vision and embed graphs' exposed hooks, the same for every condition. */
    private final Map<String, NamedTensor> imageHooks;
    /** The clean residual stream entering decoder layers, kept by {@link #runKeeping} for {@link #runFrom}. */
    private final Map<Integer, OnnxTensor> residuals = new TreeMap<>();

    private PreparedPrompt(ModelSession session, Forward.Prefill prefill, Map<String, NamedTensor> imageHooks) {
        this.session = session;
        this.prefill = prefill;
        this.imageHooks = imageHooks;
    }

    /** Runs the vision and embed graphs for the prompt ({@link Forward#run}'s arguments). */
    public static PreparedPrompt of(ModelSession session, NamedTensor pixelValues, long[][] inputIds) {
        return of(session, VisionInput.of(pixelValues), inputIds);
    }

    /** As above for the images of any family. */
    public static PreparedPrompt of(ModelSession session, VisionInput vision, long[][] inputIds) {
        Map<String, NamedTensor> hooks = new LinkedHashMap<>();
        Forward.Prefill prefill = Forward.Prefill.run(session, new InterventionPlan(session, List.of(), null),
                vision, inputIds, 0, hooks);
        return new PreparedPrompt(session, prefill, hooks);
    }

    /**
     * Runs the embed graph alone for prompts about an image whose features were computed once: every row of
     * {@code inputIds} embeds the same image.
     */
    public static PreparedPrompt of(ModelSession session, ImageFeatures image, long[][] inputIds) {
        Map<String, NamedTensor> hooks = new LinkedHashMap<>();
        Forward.Prefill prefill = Forward.Prefill.run(session, new InterventionPlan(session, List.of(), null), image,
                inputIds, 0, hooks);
        return new PreparedPrompt(session, prefill, hooks);
    }

    /** The decoder under {@code interventions} (and the lens when set), logits as asked: {@link Forward#run}'s result. */
    public Map<String, NamedTensor> run(List<Intervention> interventions, LensRequest lens, Forward.Logits logits) {
        return run(new InterventionPlan(session, decoderOnly(interventions), lens, logits == Forward.Logits.LAST));
    }

    /**
     * A batch of conditions in one decoder call: row b of the prompt under {@code perRow.get(b)} alone. Each row of
     * the outputs is what {@link #run} gives for that row's interventions on a prompt of that row alone.
     */
    public Map<String, NamedTensor> runRows(List<List<Intervention>> perRow, Forward.Logits logits) {
        if (perRow.size() != prefill.batch().size()) {
            throw new BadArgumentException(perRow.size() + " lists of interventions for a prompt of "
                    + prefill.batch().size() + " rows: expected one list per row");
        }
        perRow.forEach(this::decoderOnly);
        return run(InterventionPlan.perRow(session, perRow, logits == Forward.Logits.LAST));
    }

    /** The LM input embeddings of the prompt [rows, length, d_model] of a float32 export, as a flat copy. */
    public float[] inputsEmbeds() {
        FloatBuffer fb = prefill.inputsEmbeds().getFloatBuffer();
        float[] out = new float[fb.remaining()];
        fb.get(out);
        return out;
    }

    /** The prompt's length: image placeholders expanded, padding included. */
    public int length() {
        return prefill.length();
    }

    /** The prompt's position ids [axes][rows][length], as the model family numbers them. */
    public long[][][] positions() {
        return prefill.promptPositions();
    }

    private List<Intervention> decoderOnly(List<Intervention> interventions) {
        for (Intervention i : interventions) {
            if (i instanceof Intervention.HookPatch p && !session.graphOf(p.hook()).equals(GraphNames.DECODER)) {
                throw new BadArgumentException("a prepared prompt runs the decoder only; the patch of " + p.hook()
                        + " changes the " + session.graphOf(p.hook()) + " graph: run it with Forward.run");
            }
        }
        return interventions;
    }

    private Map<String, NamedTensor> run(InterventionPlan plan) {
        Batch batch = prefill.batch();
        plan.checkKnockouts(batch.shortestRow());
        Map<String, NamedTensor> out = new LinkedHashMap<>(imageHooks);
        try (OrtSession.Result r = Forward.runGraph(session, plan, batch, GraphNames.DECODER, false, 0, batch.length(),
                prefill.decoderInputs())) {
            Forward.collectDecoder(session, r, out);
        }
        return out;
    }

    /**
     * The clean decoder run ({@link #run} with no intervention), keeping the residual stream that enters each of
     * {@code layers} so that {@link #runFrom} can start there.
     */
    public Map<String, NamedTensor> runKeeping(Forward.Logits logits, int... layers) {
        int depth = session.manifest().dims().layers();
        for (int layer : layers) {
            if (layer < 1 || layer >= depth) {
                throw new BadArgumentException("cannot keep the residual stream entering layer " + layer + ": expected "
                        + "a layer from 1 to " + (depth - 1) + " (a run from layer 0 is a plain run)");
            }
        }
        List<String> hooks = Arrays.stream(layers).distinct().sorted().mapToObj(HookName::residPre).toList();
        List<String> toExpose = hooks.stream().filter(h -> !session.exposedHooks(GraphNames.DECODER).contains(h)).toList();
        InterventionPlan plan = new InterventionPlan(session, List.of(), null, logits == Forward.Logits.LAST);
        Batch batch = prefill.batch();
        Map<String, NamedTensor> out = new LinkedHashMap<>(imageHooks);
        try (OrtSession.Result r = Forward.runGraph(session, plan, toExpose.isEmpty() ? List.of()
                : List.of(new Expose(toExpose)), batch, GraphNames.DECODER, false, 0, batch.length(),
                prefill.decoderInputs())) {
            Forward.collectDecoder(session, r, out);
            for (int layer : layers) {
                String hook = HookName.residPre(layer);
                if (!residuals.containsKey(layer)) {
                    residuals.put(layer, OrtTensors.toOrt(session.env(),
                            OrtTensors.fromOrt(hook, (OnnxTensor) r.get(hook).orElseThrow())));
                }
            }
        }
        return out;
    }

    /**
     * The decoder from layer {@code layer} on, fed the clean residual stream that {@link #runKeeping} kept there:
     * what {@link #run} returns for knockouts in layers {@code >= layer}, at the cost of the layers from
     * {@code layer} on, without the hooks of the layers before it. Interventions other than such knockouts change
     * what enters {@code layer} and are refused.
     */
    public Map<String, NamedTensor> runFrom(int layer, List<Intervention> interventions, Forward.Logits logits) {
        OnnxTensor start = residuals.get(layer);
        if (start == null) {
            throw new BadArgumentException("no residual stream was kept for layer " + layer + " (kept: "
                    + residuals.keySet() + "); run runKeeping with it first");
        }
        for (Intervention i : interventions) {
            if (!(i instanceof Intervention.Knockout k) || Arrays.stream(k.layers()).anyMatch(l -> l < layer)) {
                throw new BadArgumentException("a run from layer " + layer + " takes knockouts in layers " + layer
                        + " and later only; " + i + " changes what enters layer " + layer);
            }
        }
        InterventionPlan plan = new InterventionPlan(session, interventions, null, logits == Forward.Logits.LAST, layer);
        Batch batch = prefill.batch();
        plan.checkKnockouts(batch.shortestRow());
        Map<String, OnnxTensor> inputs = new HashMap<>(prefill.decoderInputs());
        inputs.put(HookName.residPre(layer), start);
        Map<String, NamedTensor> out = new LinkedHashMap<>(imageHooks);
        try (OrtSession.Result r = Forward.runGraph(session, plan, batch, GraphNames.DECODER, false, 0, batch.length(),
                inputs)) {
            // The hooks of the layers before the cut are gone from this graph; the later ones are read as always.
            for (String hook : session.exposedHooks(GraphNames.DECODER)) {
                r.get(hook).ifPresent(v -> out.put(hook, OrtTensors.fromOrt(hook, (OnnxTensor) v)));
            }
            out.put(GraphNames.LOGITS, OrtTensors.fromOrt(GraphNames.LOGITS,
                    (OnnxTensor) r.get(GraphNames.LOGITS).orElseThrow()));
        }
        return out;
    }

    @Override
    public void close() {
        residuals.values().forEach(OnnxTensor::close);
        prefill.close();
    }
}
