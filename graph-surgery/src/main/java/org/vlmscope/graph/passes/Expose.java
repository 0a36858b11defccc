package org.vlmscope.graph.passes;

import java.util.List;
import java.util.Map;
import org.vlmscope.graph.Graph;
import org.vlmscope.graph.GraphException;
import org.vlmscope.graph.OnnxModel;
import org.vlmscope.graph.Value;

/**
 * The expose pass: hook tensors (a list of globs over hook names) become graph outputs, so a run can read them.
 * Hooks that are outputs already (logits) are readable as they are. Exposing a hook that an earlier expose pass
 * exposed is an error, like applying any pass twice.
 */
public record Expose(List<String> globs) implements Pass {
    public Expose {
        globs = List.copyOf(globs);
    }

    @Override
    public String name() {
        return "expose";
    }

    @Override
    public Map<String, Object> describe() {
        return Map.of("hooks", globs);
    }

    @Override
    public void apply(OnnxModel model) {
        exposed(model);
    }

    /** Applies the pass and returns the hook names now readable as outputs, in graph order. */
    public List<String> exposed(OnnxModel model) {
        Graph graph = model.graph();
        List<String> names = Hooks.match(Hooks.of(model), globs);
        List<String> earlier = Hooks.match(Hooks.of(model), previouslyExposed(model), true);
        for (String name : names) {
            if (earlier.contains(name)) {
                throw new GraphException("hook '" + name + "' was already exposed by an earlier expose pass");
            }
            Value v = graph.value(name);
            if (v == null) {
                throw new GraphException("hook '" + name + "' is listed in the graph's metadata but no tensor has that name");
            }
            if (!graph.isGraphOutput(v)) {
                graph.addOutput(v);
            }
        }
        SurgeryLog.record(model, this);
        return names;
    }

    /** The globs of expose passes already recorded in the model. */
    private static List<String> previouslyExposed(OnnxModel model) {
        return SurgeryLog.entries(model).stream().filter(e -> "expose".equals(e.get("pass")))
                .flatMap(e -> ((List<?>) e.get("hooks")).stream().map(Object::toString)).toList();
    }
}
