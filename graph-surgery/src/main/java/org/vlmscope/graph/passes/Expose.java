package org.vlmscope.graph.passes;

import java.util.ArrayList;
import java.util.List;
import org.vlmscope.graph.Graph;
import org.vlmscope.graph.GraphException;
import org.vlmscope.graph.OnnxModel;
import org.vlmscope.graph.Value;

/** The expose pass: hook tensors become graph outputs, so a run can read them. */
public final class Expose {
    private Expose() {
    }

    /**
     * Makes every hook matching one of {@code globs} a graph output (hooks already exposed are left as they are)
     * and returns the hook names now readable, in graph order.
     */
    public static List<String> apply(OnnxModel model, List<String> globs) {
        Graph graph = model.graph();
        List<String> names = Hooks.match(Hooks.of(model), globs);
        List<String> exposed = new ArrayList<>();
        for (String name : names) {
            Value v = graph.value(name);
            if (v == null) {
                throw new GraphException("hook '" + name + "' is listed in the graph's metadata but no tensor has that name");
            }
            if (!graph.isGraphOutput(v)) {
                graph.addOutput(v);
            }
            exposed.add(name);
        }
        return exposed;
    }
}
