package org.vlmscope.runtime.session;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.vlmscope.core.DType;
import org.vlmscope.core.ModelManifest;
import org.vlmscope.core.VlmscopeException;
import org.vlmscope.core.vocab.GraphNames;
import org.vlmscope.core.vocab.HookName;
import org.vlmscope.graph.ExternalData;
import org.vlmscope.graph.GraphException;
import org.vlmscope.graph.OnnxModel;
import org.vlmscope.graph.TensorType;
import org.vlmscope.graph.Value;
import org.vlmscope.graph.passes.Expose;
import org.vlmscope.graph.passes.Pass;
import org.vlmscope.graph.passes.SurgeryLog;
import ai.onnxruntime.OnnxTensorLike;
import org.vlmscope.graph.passes.Hooks;

/**
 * The three graphs of a model directory opened in ONNX Runtime, with the requested hooks exposed as extra
 * outputs. Each variant is built in memory and handed to ONNX Runtime as bytes, with the model directory as
 * the external-initializer folder: no weight is copied and no file is written.
 */
public final class ModelSession implements AutoCloseable {
    public static final List<String> GRAPHS = GraphNames.ALL;

    private final Path dir;
    private final ModelManifest manifest;
    private final Device device;
    private final OrtEnvironment env = Providers.environment();
    /** Element type and shape of every hook, from the graphs' value types. */
    private final Map<String, TensorType> hookTypes = new LinkedHashMap<>();
    /** Hooks every run of each graph returns, from the globs given at open. */
    private final Map<String, List<String>> exposed = new LinkedHashMap<>();
    /** Open variants by a hash of (graph, passes): clean and intervened runs share what they can. */
    private final Map<String, OrtSession> variants = new LinkedHashMap<>();
    /** ONNX Runtime intra-op threads; 0 for its default. */
    private final int threads;
    private String provider;
    private String providerReason;

    private ModelSession(Path dir, ModelManifest manifest, Device device, int threads, List<String> hookGlobs) {
        if (threads < 0) {
            throw new org.vlmscope.core.BadArgumentException("thread count must be 1 or more (0 for ONNX Runtime's "
                    + "default), got " + threads);
        }
        this.dir = dir;
        this.manifest = manifest;
        this.device = device;
        this.threads = threads;
        if (manifest.graphsOnly()) {
            throw new VlmscopeException(dir + " was exported with --graphs-only: it has no weights to run; export it again without that option");
        }
        List<String> allHooks = new ArrayList<>();
        GRAPHS.forEach(g -> allHooks.addAll(manifest.graph(g).hooks()));
        List<String> wanted = hookGlobs.isEmpty() ? List.of() : Hooks.match(allHooks, hookGlobs);
        for (String graph : GRAPHS) {
            Path file = dir.resolve(manifest.graph(graph).file());
            if (!Files.isRegularFile(file)) {
                throw new VlmscopeException("model directory " + dir + " lacks " + file.getFileName()
                        + " listed in " + ModelManifest.FILE);
            }
            exposed.put(graph, wanted.stream().filter(manifest.graph(graph).hooks()::contains).toList());
            OnnxModel model = OnnxModel.load(file);
            try {
                ExternalData.checkFiles(model.graph(), dir, file.toString());
            } catch (GraphException e) {
                throw new VlmscopeException(e.getMessage() + "; export the model again", e);
            }
            ManifestShapes.check(dir, manifest, graph, model.graph(), file);
            for (String hook : manifest.graph(graph).hooks()) {
                Value v = model.graph().value(hook);
                hookTypes.put(hook, v == null ? null : v.type());
            }
        }
        try {
            GRAPHS.forEach(g -> variant(g, List.of()));
        } catch (RuntimeException e) {
            close();
            throw e;
        }
    }

    /** Opens the model directory; {@code hookGlobs} name the hooks every run returns (empty for none). */
    public static ModelSession open(Path dir, Device device, List<String> hookGlobs) {
        return open(dir, device, 0, hookGlobs);
    }

    /** As {@link #open(Path, Device, List)} with {@code threads} ONNX Runtime intra-op threads (0: its default). */
    public static ModelSession open(Path dir, Device device, int threads, List<String> hookGlobs) {
        return new ModelSession(dir, ModelManifest.read(dir), device, threads, hookGlobs);
    }

    public ModelManifest manifest() {
        return manifest;
    }

    public Path dir() {
        return dir;
    }

    public OrtEnvironment env() {
        return env;
    }

    /** "CUDAExecutionProvider" or "CPUExecutionProvider". */
    public String provider() {
        return provider;
    }

    /** Where the graphs run and why, e.g. "running on CPUExecutionProvider (no NVIDIA driver found)". */
    public String providerLine() {
        return "running on " + provider + " (" + providerReason + ")"
                + (threads > 0 ? " with " + threads + " intra-op threads" : "");
    }

    /** Exposed hooks of one graph, in graph order. */
    public List<String> exposedHooks(String graph) {
        return exposed.get(graph);
    }

    /** The graph (vision, embed or decoder) that carries {@code hook}; an error naming the hook when none does. */
    public String graphOf(String hook) {
        for (String graph : GRAPHS) {
            if (manifest.graph(graph).hooks().contains(hook)) {
                return graph;
            }
        }
        throw new org.vlmscope.core.BadArgumentException("unknown hook '" + hook + "'; hooks look like "
                + HookName.residPre(0) + ", " + HookName.residPost(1) + ", " + HookName.pattern(1) + " (see 'vlmscope inspect')");
    }

    /** Element type and shape of a hook (symbolic dimensions by name), or null when the graph does not record it. */
    public TensorType hookType(String hook) {
        graphOf(hook);
        return hookTypes.get(hook);
    }

    /** Element type of the KV cache and of hook tensors inside the graphs. */
    public DType computeType() {
        return manifest.dtype().equals("fp16") ? DType.F16 : DType.F32;
    }

    /** Runs one graph with only the session's exposed hooks; the caller closes the result. */
    public OrtSession.Result run(String graph, Map<String, ? extends OnnxTensorLike> inputs) {
        return run(graph, List.of(), inputs);
    }

    /** Runs the variant of one graph with {@code passes} applied after the exposed hooks; the caller closes the result. */
    public OrtSession.Result run(String graph, List<Pass> passes, Map<String, ? extends OnnxTensorLike> inputs) {
        try {
            return variant(graph, passes).run(inputs);
        } catch (OrtException e) {
            throw new VlmscopeException("running " + dir.resolve(manifest.graph(graph).file()) + " failed: "
                    + OrtErrors.describe(e), e);
        }
    }

    /** The graph with the session's hooks exposed and {@code passes} applied, built once and cached. */
    public OrtSession variant(String graph, List<Pass> passes) {
        List<Pass> all = new ArrayList<>();
        if (!exposed.get(graph).isEmpty()) {
            all.add(new Expose(exposed.get(graph)));
        }
        all.addAll(passes);
        String key = graph + " " + SurgeryLog.describe(all);
        OrtSession open = variants.get(key);
        if (open != null) {
            return open;
        }
        OnnxModel model = OnnxModel.load(dir.resolve(manifest.graph(graph).file()));
        all.forEach(p -> p.apply(model));
        Providers.Choice choice = Providers.options(dir, device, threads);
        try {
            choice.adapt(model);
            OrtSession session = env.createSession(model.toBytes(), choice.options());
            provider = choice.name();
            providerReason = choice.reason();
            variants.put(key, session);
            return session;
        } catch (OrtException e) {
            throw new VlmscopeException("ONNX Runtime cannot load " + dir.resolve(manifest.graph(graph).file()) + ": "
                    + OrtErrors.describe(e), e);
        } finally {
            choice.options().close();
        }
    }

    /** An empty past KV-cache tensor [batch, kv_heads, 0, head_dim]. */
    public OnnxTensor emptyCache(int batch) {
        ModelManifest.Dims d = manifest.dims();
        try {
            return OnnxTensor.createTensor(env, java.nio.ByteBuffer.allocateDirect(0),
                    new long[] {batch, d.kvHeads(), 0, d.headDim()}, OrtTensors.javaType(computeType()));
        } catch (OrtException e) {
            throw new VlmscopeException("cannot create an empty KV cache: " + e.getMessage(), e);
        }
    }

    @Override
    public void close() {
        for (OrtSession s : variants.values()) {
            try {
                s.close();
            } catch (OrtException e) {
                // Closing a session that failed half-way has nothing left to release.
            }
        }
        variants.clear();
    }
}
