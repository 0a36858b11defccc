package org.vlmscope.runtime.run;

import ai.onnxruntime.OrtSession;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.vlmscope.core.BadArgumentException;
import org.vlmscope.core.SafetensorsWriter.NamedTensor;
import org.vlmscope.core.vocab.GraphNames;
import org.vlmscope.runtime.image.VisionInput;
import org.vlmscope.runtime.intervene.Intervention;
import org.vlmscope.runtime.intervene.LensRequest;
import org.vlmscope.runtime.session.ModelSession;

/**
 * One image and prompt taken through the vision tower and the embedding once, then run through the decoder under
 * any number of conditions: what an experiment does for each image (clean, ablated, knocked out, with the lens).
 * Every condition's result is what {@link Forward#run} returns for it, without recomputing the image. Conditions
 * that change the vision or embed graphs (a patch of a vision hook) need their own {@link Forward#run}.
 */
public final class PreparedPrompt implements AutoCloseable {
    private final ModelSession session;
    private final Forward.Prefill prefill;
    /** The vision and embed graphs' exposed hooks, the same for every condition. */
    private final Map<String, NamedTensor> imageHooks = new LinkedHashMap<>();

    private PreparedPrompt(ModelSession session, VisionInput vision, long[][] inputIds) {
        this.session = session;
        this.prefill = Forward.Prefill.run(session, new InterventionPlan(session, List.of(), null), vision,
                inputIds, 0, imageHooks);
    }

    /** Runs the vision and embed graphs for the prompt ({@link Forward#run}'s arguments). */
    public static PreparedPrompt of(ModelSession session, NamedTensor pixelValues, long[][] inputIds) {
        return of(session, VisionInput.of(pixelValues), inputIds);
    }

    /** As above for the images of any family. */
    public static PreparedPrompt of(ModelSession session, VisionInput vision, long[][] inputIds) {
        return new PreparedPrompt(session, vision, inputIds);
    }

    /** The decoder under {@code interventions} (and the lens when set), logits as asked: {@link Forward#run}'s result. */
    public Map<String, NamedTensor> run(List<Intervention> interventions, LensRequest lens, Forward.Logits logits) {
        for (Intervention i : interventions) {
            if (i instanceof Intervention.HookPatch p && !session.graphOf(p.hook()).equals(GraphNames.DECODER)) {
                throw new BadArgumentException("a prepared prompt runs the decoder only; the patch of " + p.hook()
                        + " changes the " + session.graphOf(p.hook()) + " graph: run it with Forward.run");
            }
        }
        InterventionPlan plan = new InterventionPlan(session, interventions, lens, logits == Forward.Logits.LAST);
        Batch batch = prefill.batch();
        plan.checkKnockouts(batch.shortestRow());
        Map<String, NamedTensor> out = new LinkedHashMap<>(imageHooks);
        try (OrtSession.Result r = Forward.runGraph(session, plan, batch, GraphNames.DECODER, false, 0, batch.length(),
                prefill.decoderInputs())) {
            Forward.collectDecoder(session, r, out);
        }
        return out;
    }

    @Override
    public void close() {
        prefill.close();
    }
}
