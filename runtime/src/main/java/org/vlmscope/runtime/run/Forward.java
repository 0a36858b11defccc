package org.vlmscope.runtime.run;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OnnxValue;
import ai.onnxruntime.OrtSession;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.vlmscope.core.BadArgumentException;
import org.vlmscope.core.DType;
import org.vlmscope.core.ModelManifest;
import org.vlmscope.core.SafetensorsWriter.NamedTensor;
import org.vlmscope.core.VlmscopeException;
import org.vlmscope.core.vocab.GraphNames;
import org.vlmscope.graph.passes.Pass;
import org.vlmscope.runtime.family.RuntimeFamilies;
import org.vlmscope.runtime.family.RuntimeFamily;
import org.vlmscope.runtime.image.VisionInput;
import org.vlmscope.runtime.intervene.Intervention;
import org.vlmscope.runtime.intervene.LensRequest;
import org.vlmscope.runtime.session.ModelSession;
import org.vlmscope.runtime.session.OrtTensors;

/**
 * One forward pass over a whole prompt: pixels through vision.onnx, ids and visual tokens through embed.onnx,
 * embeddings through decoder.onnx with an empty KV cache, each graph in the variant the interventions need.
 * Returns logits, every exposed hook (batch kept) and, when asked, the lens tensors.
 */
public final class Forward {
    /** Which logits a prefill computes: at every position, or at the last one only ([batch, 1, vocab]). */
    public enum Logits { ALL, LAST }

    private Forward() {
    }

    /**
     * @param pixelValues [batch, 3, H, W] float32, or null for a text-only prompt
     * @param inputIds    one row per batch entry, equal lengths; the image placeholder once or already expanded
     */
    public static Map<String, NamedTensor> run(ModelSession session, NamedTensor pixelValues, long[][] inputIds) {
        return run(session, pixelValues, inputIds, List.of(), null);
    }

    /** As {@link #run(ModelSession, NamedTensor, long[][])} under {@code interventions}, with the lens when {@code lens} is set. */
    public static Map<String, NamedTensor> run(ModelSession session, NamedTensor pixelValues, long[][] inputIds,
                                               List<Intervention> interventions, LensRequest lens) {
        return run(session, pixelValues, inputIds, interventions, lens, Logits.ALL);
    }

    /**
     * As above; with {@link Logits#LAST} the unembedding runs at the last position only (what polling, VQA and
     * knockout read), so "logits" is [batch, 1, vocab]. Hooks and the lens keep every position.
     */
    public static Map<String, NamedTensor> run(ModelSession session, NamedTensor pixelValues, long[][] inputIds,
                                               List<Intervention> interventions, LensRequest lens, Logits logits) {
        return run(session, VisionInput.of(pixelValues), inputIds, interventions, lens, logits);
    }

    /**
     * As above for the images of any family: {@code vision} holds their pixel values and, where each image has its
     * own grid, the grids (null for a text-only prompt).
     */
    public static Map<String, NamedTensor> run(ModelSession session, VisionInput vision, long[][] inputIds,
                                               List<Intervention> interventions, LensRequest lens, Logits logits) {
        InterventionPlan plan = new InterventionPlan(session, interventions, lens, logits == Logits.LAST);
        Map<String, NamedTensor> out = new LinkedHashMap<>();
        try (Prefill prefill = Prefill.run(session, plan, vision, inputIds, 0, out);
             OrtSession.Result r = prefill.runDecoder()) {
            collectDecoder(session, r, out);
        }
        return out;
    }

    /** Copies a prompt's decoder outputs into {@code out}: exposed hooks, logits and any lens tensors. */
    static void collectDecoder(ModelSession session, OrtSession.Result r, Map<String, NamedTensor> out) {
        collect(session, GraphNames.DECODER, r, out);
        out.put(GraphNames.LOGITS, OrtTensors.fromOrt(GraphNames.LOGITS, (OnnxTensor) r.get(GraphNames.LOGITS).orElseThrow()));
        for (String name : GraphNames.LENS_OUTPUTS) {
            r.get(name).ifPresent(v -> out.put(name, OrtTensors.fromOrt(name, (OnnxTensor) v)));
        }
    }

    /** Copies the graph's exposed hooks from a result into {@code out}. */
    static void collect(ModelSession session, String graph, OrtSession.Result r, Map<String, NamedTensor> out) {
        for (String hook : session.exposedHooks(graph)) {
            OnnxValue v = r.get(hook).orElseThrow();
            out.put(hook, OrtTensors.fromOrt(hook, (OnnxTensor) v));
        }
    }

    /** Runs one graph variant of the plan with its extra inputs; tensors made for it are closed on return. */
    static OrtSession.Result runGraph(ModelSession session, InterventionPlan plan, Batch batch, String graph,
                                      boolean decode, int past, int seq, Map<String, OnnxTensor> inputs) {
        return runGraph(session, plan, List.of(), batch, graph, decode, past, seq, inputs);
    }

    /** As above, with {@code first} applied before the plan's passes (an expose of hooks this run alone reads). */
    static OrtSession.Result runGraph(ModelSession session, InterventionPlan plan, List<Pass> first, Batch batch,
                                      String graph, boolean decode, int past, int seq, Map<String, OnnxTensor> inputs) {
        Map<String, OnnxTensor> all = new HashMap<>(inputs);
        List<OnnxTensor> owned = new ArrayList<>();
        try {
            plan.feed(graph, decode, past, seq, batch, all, owned);
            List<Pass> passes = new ArrayList<>(first);
            passes.addAll(plan.passes(graph, decode));
            if (!decode && plan.startLayer() > 0) {
                // The graph cut at a layer has lost the embeddings and the earlier layers' cache and bias inputs.
                all.keySet().retainAll(session.variant(graph, passes).getInputNames());
            }
            return session.run(graph, passes, all);
        } finally {
            owned.forEach(OnnxTensor::close);
        }
    }

    /** Image features and input embeddings for a prompt, then the decoder's first inputs; closes what it made. */
    public static final class Prefill implements AutoCloseable {
        private final ModelSession session;
        private final InterventionPlan plan;
        private final List<OnnxTensor> owned = new ArrayList<>();
        private DecoderInputs decoderInputs;
        /** The prompts, image placeholders expanded, left-padded to one length. */
        private Batch batch;

        private Prefill(ModelSession session, InterventionPlan plan) {
            this.session = session;
            this.plan = plan;
        }

        /** A prompt without interventions, its hooks discarded: the embeddings a decoder run starts from. */
        public static Prefill plain(ModelSession session, NamedTensor pixelValues, long[][] inputIds) {
            return plain(session, VisionInput.of(pixelValues), inputIds);
        }

        /** As above for the images of any family (null for a text-only prompt). */
        public static Prefill plain(ModelSession session, VisionInput vision, long[][] inputIds) {
            return run(session, new InterventionPlan(session, List.of(), null), vision, inputIds, 0,
                    new LinkedHashMap<>());
        }

        /** {@code newTokens}: how many tokens decoding may add after the prompt (0 for a single forward pass). */
        static Prefill run(ModelSession session, InterventionPlan plan, VisionInput vision, long[][] inputIds,
                           int newTokens, Map<String, NamedTensor> hooks) {
            return run(session, plan, vision, null, inputIds, newTokens, hooks);
        }

        /** As above with the image's features computed already: the vision graph does not run. */
        static Prefill run(ModelSession session, InterventionPlan plan, ImageFeatures image, long[][] inputIds,
                           int newTokens, Map<String, NamedTensor> hooks) {
            List<String> visionPatches = plan.patchedHooks(GraphNames.VISION);
            if (!visionPatches.isEmpty()) {
                throw new BadArgumentException("the image's features are computed once, without patches; the patch "
                        + "of " + visionPatches.get(0) + " changes the vision graph: run it from the pixels");
            }
            return run(session, plan, null, image, inputIds, newTokens, hooks);
        }

        private static Prefill run(ModelSession session, InterventionPlan plan, VisionInput vision,
                                   ImageFeatures image, long[][] inputIds, int newTokens,
                                   Map<String, NamedTensor> hooks) {
            Prefill p = new Prefill(session, plan);
            try {
                p.build(vision, image, inputIds, newTokens, hooks);
                return p;
            } catch (RuntimeException e) {
                p.close();
                throw e;
            }
        }

        /** Runs the decoder over the whole prompt; the caller closes the result. */
        public OrtSession.Result runDecoder() {
            return runGraph(session, plan, batch, GraphNames.DECODER, false, 0, batch.length(), decoderInputs.map());
        }

        Batch batch() {
            return batch;
        }

        /** The decoder's inputs for the whole prompt (embeddings, mask, positions, empty cache). */
        Map<String, OnnxTensor> decoderInputs() {
            return decoderInputs.map();
        }

        /** The LM input embeddings of the prompt [batch, seq, d_model]. */
        public OnnxTensor inputsEmbeds() {
            return decoderInputs.embeds();
        }

        /** The prompt's position ids [axes][batch][length], as the model family numbers them. */
        public long[][][] promptPositions() {
            return batch.promptPositions();
        }

        /** The prompt's length: image placeholders expanded, padding included. */
        public int length() {
            return batch.length();
        }

        InterventionPlan plan() {
            return plan;
        }

        /** From the pixels ({@code vision}), from features computed once ({@code image}), or text only (both null). */
        private void build(VisionInput vision, ImageFeatures image, long[][] inputIds, int newTokens,
                           Map<String, NamedTensor> hooks) {
            ModelManifest m = session.manifest();
            RuntimeFamily family = RuntimeFamilies.of(m);
            int rows = inputIds.length;
            if (rows == 0) {
                throw new VlmscopeException("input_ids hold no rows");
            }
            // Prompts about an image whose features exist are numbered and checked as if its pixels came once per row.
            VisionInput images = image != null ? image.visionForRows(rows) : vision;
            long[][] ids = family.expandImages(m, inputIds, images);
            int count = 0;
            for (long[] row : ids) {
                count += ImageTokens.count(row, m.imageTokenId());
            }
            if (count > 0 && images == null) {
                throw new VlmscopeException("input_ids contain the image token " + m.imageTokenId()
                        + " but no pixel_values were given");
            }
            if (count == 0 && images != null) {
                throw new VlmscopeException((image != null ? "image features" : GraphNames.PIXEL_VALUES) + " were given but "
                        + "input_ids contain no image token (id " + m.imageTokenId() + ")");
            }
            family.checkVision(m, images, ids);
            batch = Batch.leftPadded(ids, m.padTokenId() != null ? m.padTokenId() : 0, family.positionIds(m),
                    images != null ? images.grids() : List.of());
            plan.checkKnockouts(batch.shortestRow() + newTokens);
            OnnxTensor features;
            if (image != null) {
                hooks.putAll(image.hooks());
                features = own(OrtTensors.toOrt(session.env(), family.imageFeatures(m, image.forRows(rows), batch.ids)));
            } else if (vision != null) {
                NamedTensor raw = vision(session, plan, vision, hooks);
                features = own(OrtTensors.toOrt(session.env(), family.imageFeatures(m, raw, batch.ids)));
            } else {
                features = own(emptyFeatures(session, rows));
            }
            OnnxTensor idTensor = own(Inputs.longs(session.env(), batch.ids));
            OnnxTensor embeds;
            try (OrtSession.Result r = runGraph(session, plan, batch, GraphNames.EMBED, false, 0, batch.length(),
                    Map.of(GraphNames.INPUT_IDS, idTensor, GraphNames.IMAGE_FEATURES, features))) {
                collect(session, GraphNames.EMBED, r, hooks);
                embeds = copyOf(r, GraphNames.INPUTS_EMBEDS);
            }
            decoderInputs = DecoderInputs.prompt(session, embeds, batch.attentionMask(), batch.promptPositions());
        }

        /** An output of a finished run, copied so it outlives the run's result; the caller closes it. */
        private OnnxTensor copyOf(OrtSession.Result r, String name) {
            return OrtTensors.toOrt(session.env(), OrtTensors.fromOrt(name, (OnnxTensor) r.get(name).orElseThrow()));
        }

        private OnnxTensor own(OnnxTensor t) {
            owned.add(t);
            return t;
        }

        @Override
        public void close() {
            owned.forEach(OnnxTensor::close);
            owned.clear();
            if (decoderInputs != null) {
                decoderInputs.close();
            }
        }
    }

    /**
     * The vision graph on {@code vision} (checked by its family against the prompts) under the plan's vision
     * patches: image_features as the graph returns them, its exposed hooks added to {@code hooks}.
     */
    static NamedTensor vision(ModelSession session, InterventionPlan plan, VisionInput vision,
                              Map<String, NamedTensor> hooks) {
        ModelManifest m = session.manifest();
        Map<String, OnnxTensor> feeds = new HashMap<>();
        try {
            for (NamedTensor t : RuntimeFamilies.of(m).visionFeeds(m, vision)) {
                feeds.put(t.name(), OrtTensors.toOrt(session.env(), t));
            }
            // A vision patch covers the image's own token count, whatever the prompt: no batch of prompts is needed.
            try (OrtSession.Result r = runGraph(session, plan, null, GraphNames.VISION, false, 0,
                    m.dims().visualTokens() + 1, feeds)) {
                collect(session, GraphNames.VISION, r, hooks);
                return OrtTensors.fromOrt(GraphNames.IMAGE_FEATURES,
                        (OnnxTensor) r.get(GraphNames.IMAGE_FEATURES).orElseThrow());
            }
        } finally {
            feeds.values().forEach(OnnxTensor::close);
        }
    }

    /** image_features for rows without an image: [batch, 0, d_model]. */
    static OnnxTensor emptyFeatures(ModelSession session, int batch) {
        return OrtTensors.toOrt(session.env(), new NamedTensor(GraphNames.IMAGE_FEATURES, DType.F32,
                new long[] {batch, 0, session.manifest().dims().dModel()}, ByteBuffer.allocate(0)));
    }
}
