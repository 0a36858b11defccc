package org.vlmscope.runtime.run;

import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.vlmscope.core.SafetensorsWriter.NamedTensor;
import org.vlmscope.runtime.image.VisionInput;
import org.vlmscope.runtime.intervene.Intervention;
import org.vlmscope.runtime.intervene.LensRequest;
import org.vlmscope.runtime.session.ModelSession;

/**
 * One prompt run as {@code vlmscope run} and the experiments ask for it: the prompt's forward pass (logits, exposed
 * hooks, lens) and, when new tokens are wanted, greedy decoding that starts from that same pass, so the prompt is
 * never run twice.
 */
public final class PromptRun {
    /** The prompt's outputs as {@link Forward#run} returns them, and the decoding (null when no token was asked). */
    public record Result(Map<String, NamedTensor> outputs, Greedy.Generation generation) {
    }

    private PromptRun() {
    }

    /** Decodes up to {@code newTokens} (0 for the forward pass alone), stopping at the manifest's end ids. */
    public static Result run(ModelSession session, NamedTensor pixelValues, long[][] ids,
                             List<Intervention> interventions, LensRequest lens, int newTokens) {
        return run(session, VisionInput.of(pixelValues), ids, interventions, lens, newTokens);
    }

    /** As above for the images of any family. */
    public static Result run(ModelSession session, VisionInput vision, long[][] ids,
                             List<Intervention> interventions, LensRequest lens, int newTokens) {
        if (newTokens == 0) {
            return new Result(Forward.run(session, vision, ids, interventions, lens, Forward.Logits.ALL), null);
        }
        Map<String, NamedTensor> outputs = new LinkedHashMap<>();
        List<Long> eos = session.manifest().eosTokenIds();
        Set<Long> stop = eos == null ? Set.of() : new HashSet<>(eos);
        Greedy.Generation generation = Greedy.run(session, vision, ids, newTokens, stop, interventions, lens,
                outputs);
        return new Result(outputs, generation);
    }
}
