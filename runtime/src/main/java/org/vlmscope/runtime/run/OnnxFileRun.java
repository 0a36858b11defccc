package org.vlmscope.runtime.run;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;
import org.vlmscope.core.BadArgumentException;
import org.vlmscope.core.DType;
import org.vlmscope.core.SafetensorsWriter.NamedTensor;
import org.vlmscope.core.TensorConversion;
import org.vlmscope.core.vocab.BlockedScore;
import org.vlmscope.core.vocab.GraphNames;
import org.vlmscope.core.vocab.HookName;
import org.vlmscope.core.vocab.MetadataKeys;
import org.vlmscope.graph.ElemTypes;
import org.vlmscope.graph.GraphException;
import org.vlmscope.graph.OnnxModel;
import org.vlmscope.graph.TensorType;
import org.vlmscope.graph.Value;
import org.vlmscope.graph.locate.HookLocator;
import org.vlmscope.graph.locate.Location;
import org.vlmscope.graph.passes.AttentionBias;
import org.vlmscope.graph.passes.Expose;
import org.vlmscope.graph.passes.Hooks;
import org.vlmscope.graph.passes.LogitLens;
import org.vlmscope.graph.passes.Pass;
import org.vlmscope.graph.passes.Patch;
import org.vlmscope.runtime.intervene.Intervention;
import org.vlmscope.runtime.intervene.LensRequest;
import org.vlmscope.runtime.intervene.Positions;
import org.vlmscope.runtime.session.Device;
import org.vlmscope.runtime.session.GraphSession;

/**
 * Any single ONNX file, run once: inputs named as the graph's inputs, every output returned by name. A graph
 * without vlmscope's hooks gets them from {@link HookLocator} when it loads; hooks, patches, knockouts and the
 * lens then apply as on an exported decoder, and a graph the locator cannot read still runs with plain outputs.
 * Interventions see no KV cache: queries are the input's sequence positions, keys the attention mask's length when
 * the graph takes one (past + new positions), else the same positions.
 */
public final class OnnxFileRun {
    /** What to read and change: hook globs to return, interventions, the lens (null for none). */
    public record Request(List<String> hookGlobs, List<Intervention> interventions, LensRequest lens) {
        public Request {
            hookGlobs = List.copyOf(hookGlobs);
            interventions = List.copyOf(interventions);
        }

        boolean needsHooks() {
            return !hookGlobs.isEmpty() || !interventions.isEmpty() || lens != null;
        }
    }

    /**
     * @param outputs  every output of the run by name: the graph's own, the exposed hooks, the lens tensors
     * @param exposed  the hooks returned, in graph order
     * @param provider the ONNX Runtime execution provider that ran it
     */
    public record Result(Map<String, NamedTensor> outputs, List<String> exposed, String provider) {
    }

    private final Path file;
    private final OnnxModel model;
    private final Location location;
    private final String notLocated;
    /** The passes of a run rewrite {@link #model} in place, so a loaded file runs once. */
    private boolean ran;

    private OnnxFileRun(Path file, OnnxModel model, Location location, String notLocated) {
        this.file = file;
        this.model = model;
        this.location = location;
        this.notLocated = notLocated;
    }

    /** Loads {@code file} (never its weights) and, when it has no hooks of its own, locates them. */
    public static OnnxFileRun load(Path file) {
        OnnxModel model = OnnxModel.load(file);
        if (!Hooks.of(model).isEmpty()) {
            return new OnnxFileRun(file, model, null, null);
        }
        try {
            return new OnnxFileRun(file, model, HookLocator.locate(model), null);
        } catch (GraphException e) {
            return new OnnxFileRun(file, model, null, e.getMessage());
        }
    }

    public Path file() {
        return file;
    }

    /** Where the hooks were found, when the locator found them (null for a graph with its own hooks, or none). */
    public Location location() {
        return location;
    }

    /** Why the locator could not read the graph, when it could not (a run then has plain outputs only). */
    public String notLocated() {
        return notLocated;
    }

    /** The graph's hooks, its own or located, in graph order. */
    public List<String> hooks() {
        return Hooks.of(model);
    }

    /** The decoder's layer count; 0 for a graph without decoder hooks. */
    public int layers() {
        String layers = model.metadata().get(MetadataKeys.LAYERS);
        return layers == null ? 0 : Integer.parseInt(layers);
    }

    /** Values per sequence position of {@code hook}, from its declared shape or the located hidden size. */
    public int rowWidth(String hook) {
        if (!hooks().contains(hook)) {
            throw new BadArgumentException("unknown hook '" + hook + "' in " + file + (hooks().isEmpty()
                    ? ": it has no hooks" + (notLocated == null ? "" : " (" + notLocated + ")")
                    : "; its hooks look like " + hooks().subList(0, Math.min(6, hooks().size()))));
        }
        TensorType t = model.graph().require(hook).type();
        if (t != null && t.shape() != null && t.rank() == 3 && t.shape().get(2).isFixed()) {
            return (int) t.shape().get(2).size();
        }
        if (location != null && location.dModel() != null && location.isStreamShaped(hook)) {
            return Math.toIntExact(location.dModel());
        }
        throw new BadArgumentException("hook '" + hook + "' cannot be patched by position: patches need a hook "
                + "shaped [batch, sequence, width] with a known width, it is " + t);
    }

    /** Runs the graph once on {@code inputs} (named as its inputs) with the hooks, interventions and lens asked for. */
    public Result run(Map<String, NamedTensor> inputs, Request request, Device device, int threads) {
        if (ran) {
            throw new IllegalStateException("a loaded ONNX file runs once; load it again for another run");
        }
        if (request.needsHooks() && hooks().isEmpty()) {
            throw new BadArgumentException(file + " has no hooks, so hooks, interventions and the lens cannot apply"
                    + (notLocated == null ? "" : ": " + notLocated));
        }
        checkInputs(model, inputs, file);
        ran = true;
        Map<String, NamedTensor> feeds = new LinkedHashMap<>(inputs);
        List<Pass> passes = new ArrayList<>();
        List<String> exposed;
        try {
            exposed = request.hookGlobs().isEmpty() ? List.of() : Hooks.match(hooks(), request.hookGlobs());
            if (!exposed.isEmpty()) {
                passes.add(new Expose(exposed));
            }
            if (!request.interventions().isEmpty()) {
                new Feeds(this, inputs).add(request.interventions(), passes, feeds);
            }
            if (request.lens() != null) {
                passes.add(new LogitLens(request.lens().k(), request.lens().targets(),
                        request.lens().lastRowNormedTwice()));
            }
            passes.forEach(p -> p.apply(model));
        } catch (GraphException e) {
            throw new BadArgumentException(file + ": " + e.getMessage());
        }
        try (GraphSession session = GraphSession.open(model, device, threads, file.toString())) {
            return new Result(session.run(feeds, file.toString()), exposed, session.provider());
        }
    }

    /** The sequence length of a run on {@code inputs}: positions of interventions index it. */
    public static int sequenceLength(Map<String, NamedTensor> inputs) {
        return (int) Feeds.sequenceInput(inputs).shape()[1];
    }

    /** Every graph input is given with its element type, rank and fixed sizes; nothing else is. */
    static void checkInputs(OnnxModel model, Map<String, NamedTensor> inputs, Path file) {
        List<Value> wanted = model.graph().inputs().stream().filter(v -> !v.isInitializer()).toList();
        List<String> names = wanted.stream().map(Value::name).toList();
        for (Value in : wanted) {
            NamedTensor t = inputs.get(in.name());
            String expected = in.type() == null ? "type not declared" : in.type().toString();
            if (t == null) {
                throw new BadArgumentException(file.getFileName() + " needs input '" + in.name() + "' (" + expected
                        + "), which the inputs file lacks; it has " + inputs.keySet());
            }
            if (in.type() != null && !fits(in.type(), t)) {
                throw new BadArgumentException("input '" + in.name() + "' is " + t.dtype() + " "
                        + Arrays.toString(t.shape()) + " in the inputs file; " + file.getFileName() + " expects "
                        + expected);
            }
        }
        for (String name : inputs.keySet()) {
            if (!names.contains(name)) {
                throw new BadArgumentException("the inputs file has '" + name + "', which is not an input of "
                        + file.getFileName() + " (its inputs: " + names + ")");
            }
        }
    }

    private static boolean fits(TensorType type, NamedTensor t) {
        if (type.elemType() != null && type.elemType() != ElemTypes.of(t.dtype())) {
            return false;
        }
        if (type.shape() == null) {
            return true;
        }
        if (type.rank() != t.shape().length) {
            return false;
        }
        for (int i = 0; i < t.shape().length; i++) {
            TensorType.Dim d = type.shape().get(i);
            if (d.isFixed() && d.size() != t.shape()[i]) {
                return false;
            }
        }
        return true;
    }

    /** The extra inputs interventions need on one graph: patch values and masks, attention biases. */
    private static final class Feeds {
        private final OnnxFileRun graph;
        private final DType compute;
        private final int batch;
        private final int seq;
        private final int keys;

        Feeds(OnnxFileRun graph, Map<String, NamedTensor> inputs) {
            this.graph = graph;
            this.compute = "fp16".equals(graph.model.metadata().get(MetadataKeys.COMPUTE_TYPE)) ? DType.F16 : DType.F32;
            NamedTensor sequence = sequenceInput(inputs);
            this.batch = (int) sequence.shape()[0];
            this.seq = (int) sequence.shape()[1];
            NamedTensor mask = inputs.get(GraphNames.ATTENTION_MASK);
            this.keys = mask != null && mask.shape().length == 2 ? (int) mask.shape()[1] : seq;
        }

        /** input_ids or inputs_embeds when the graph takes them, else the first input of rank 2 or more. */
        private static NamedTensor sequenceInput(Map<String, NamedTensor> inputs) {
            for (String name : List.of(GraphNames.INPUT_IDS, GraphNames.INPUTS_EMBEDS)) {
                if (inputs.containsKey(name)) {
                    return inputs.get(name);
                }
            }
            return inputs.values().stream().filter(t -> t.shape().length >= 2).findFirst().orElseThrow(() ->
                    new BadArgumentException("interventions index sequence positions, and no input has a sequence "
                            + "axis (rank 2 or more)"));
        }

        void add(List<Intervention> interventions, List<Pass> passes, Map<String, NamedTensor> feeds) {
            TreeMap<String, List<Intervention>> patches = new TreeMap<>();
            TreeMap<Integer, float[]> biases = new TreeMap<>();
            for (Intervention i : interventions) {
                if (i instanceof Intervention.Ablation a) {
                    patches.computeIfAbsent(HookName.residPre(0), h -> new ArrayList<>()).add(a);
                } else if (i instanceof Intervention.HookPatch p) {
                    patches.computeIfAbsent(p.hook(), h -> new ArrayList<>()).add(p);
                } else if (i instanceof Intervention.Knockout k) {
                    knockout(k, biases);
                }
            }
            if (!patches.isEmpty()) {
                passes.add(new Patch(List.copyOf(patches.keySet())));
                patches.forEach((hook, list) -> patch(hook, list, feeds));
            }
            if (!biases.isEmpty()) {
                passes.add(new AttentionBias(List.copyOf(new TreeSet<>(biases.keySet()))));
                biases.forEach((layer, bias) -> {
                    checkEveryQueryKeepsAKey(bias, layer);
                    put(AttentionBias.inputName(layer), new long[] {batch, 1, seq, keys}, bias, feeds);
                });
            }
        }

        private void knockout(Intervention.Knockout k, TreeMap<Integer, float[]> biases) {
            Positions.check(k.from(), keys, "knockout FROM");
            Positions.check(k.to(), keys, "knockout TO");
            int past = keys - seq;
            float blocked = BlockedScore.knockout(compute);
            for (int layer : k.layers()) {
                float[] bias = biases.computeIfAbsent(layer, l -> new float[batch * seq * keys]);
                for (int r = 0; r < batch; r++) {
                    for (int to : k.to()) {
                        if (to < past) {
                            continue;
                        }
                        for (int from : k.from()) {
                            bias[(r * seq + to - past) * keys + from] = blocked;
                        }
                    }
                }
            }
        }

        /** A query whose every causal key is blocked would make softmax NaN: refuse it. */
        private void checkEveryQueryKeepsAKey(float[] bias, int layer) {
            int past = keys - seq;
            for (int q = 0; q < seq; q++) {
                boolean open = false;
                for (int key = 0; key <= past + q && !open; key++) {
                    open = bias[q * keys + key] == 0f;
                }
                if (!open) {
                    throw new BadArgumentException("knockout leaves query position " + (past + q)
                            + " with no key to attend to in layer " + layer);
                }
            }
        }

        private void patch(String hook, List<Intervention> list, Map<String, NamedTensor> feeds) {
            long width = graph.rowWidth(hook);
            float[] value = new float[(int) (batch * seq * width)];
            float[] mask = new float[batch * seq];
            for (Intervention i : list) {
                int[] positions = i instanceof Intervention.Ablation a ? a.positions()
                        : ((Intervention.HookPatch) i).positions();
                float[] values = i instanceof Intervention.Ablation a ? a.vector() : ((Intervention.HookPatch) i).values();
                Positions.check(positions, seq, "patch of " + hook + ":");
                boolean single = values.length == width;
                if (!single && values.length != width * positions.length) {
                    throw new BadArgumentException("patch of " + hook + " needs a value of width " + width
                            + " (one row for all positions) or " + positions.length + " rows of that width; got "
                            + values.length + " values");
                }
                for (int r = 0; r < batch; r++) {
                    for (int n = 0; n < positions.length; n++) {
                        int at = r * seq + positions[n];
                        System.arraycopy(values, single ? 0 : (int) (n * width), value, (int) (at * width), (int) width);
                        mask[at] = 1f;
                    }
                }
            }
            put(GraphNames.patchValue(hook), new long[] {batch, seq, width}, value, feeds);
            put(GraphNames.patchMask(hook), new long[] {batch, seq, 1}, mask, feeds);
        }

        /** A tensor in the model's compute type, from float32 values. */
        private void put(String name, long[] shape, float[] values, Map<String, NamedTensor> feeds) {
            ByteBuffer data = ByteBuffer.allocate(values.length * compute.byteSize()).order(ByteOrder.LITTLE_ENDIAN);
            TensorConversion.convert(NamedTensor.ofFloats(name, shape, values).data(), DType.F32, data, compute,
                    values.length);
            feeds.put(name, new NamedTensor(name, compute, shape, data.flip()));
        }
    }
}
