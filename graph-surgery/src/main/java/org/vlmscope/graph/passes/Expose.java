package org.vlmscope.graph.passes;

import java.util.List;
import java.util.Map;
import org.vlmscope.graph.Graph;
import org.vlmscope.graph.GraphException;
import org.vlmscope.graph.OnnxModel;
import org.vlmscope.graph.Value;

/** The expose pass: hook tensors (a list of globs over hook names) become graph outputs, so a run can read them. */
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
        for (String name : names) {
            Value v = graph.value(name);
            if (v == null) {
                throw new GraphException("hook '" + name + "' is listed in the graph's metadata but no tensor has that name");
            }
            if (graph.isGraphOutput(v)) {
                throw new GraphException("hook '" + name + "' is already an output of graph '" + graph.name() + "'");
            }
            graph.addOutput(v);
        }
        SurgeryLog.record(model, this);
        return names;
    }
}
