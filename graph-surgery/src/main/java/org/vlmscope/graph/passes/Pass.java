package org.vlmscope.graph.passes;

import java.util.Map;
import org.vlmscope.graph.OnnxModel;

/**
 * One rewrite of a model. Passes are values: {@link #describe()} says exactly what a pass does, so a list of
 * passes identifies a graph variant (it is hashed for caching and recorded in the model's metadata).
 */
public interface Pass {
    /** Short name: expose, patch, attention_bias, logit_lens. */
    String name();

    /** The pass's arguments, JSON-friendly (strings, numbers, lists). */
    Map<String, Object> describe();

    /** Rewrites the model in place and records itself in {@link SurgeryLog}. */
    void apply(OnnxModel model);
}
