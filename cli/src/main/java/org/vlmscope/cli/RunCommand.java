package org.vlmscope.cli;

import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import org.vlmscope.core.BadArgumentException;
import org.vlmscope.core.DType;
import org.vlmscope.core.ModelManifest;
import org.vlmscope.core.SafetensorsFile;
import org.vlmscope.core.SafetensorsWriter;
import org.vlmscope.core.SafetensorsWriter.NamedTensor;
import org.vlmscope.core.TensorInfo;
import org.vlmscope.core.VlmscopeException;
import org.vlmscope.graph.GraphException;
import org.vlmscope.graph.passes.Hooks;
import org.vlmscope.runtime.Forward;
import org.vlmscope.runtime.ImageTokens;
import org.vlmscope.runtime.Intervention;
import org.vlmscope.runtime.LensRequest;
import org.vlmscope.runtime.ModelSession;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code vlmscope run}: one forward pass over prepared inputs (ids and pixels in a safetensors file), optionally
 * under interventions (ablation, patches, knockouts) and with the logit lens, printing the next-token candidates
 * and optionally caching logits, hook activations and lens tensors for analysis in Python.
 */
@Command(name = "run", mixinStandardHelpOptions = true, sortOptions = false,
        description = "Run a model directory on input_ids (and pixel_values) from a safetensors file, optionally "
                + "with interventions and the logit lens; print the top-5 next tokens per batch row and optionally "
                + "cache logits, hook activations and lens tensors.")
final class RunCommand implements Callable<Integer> {
    static final String INPUT_IDS = "input_ids";
    static final String PIXEL_VALUES = "pixel_values";
    static final String LOGITS = "logits";
    private static final int TOP_K = 5;

    @Parameters(paramLabel = "MODEL_DIR", description = "Model directory written by 'vlmscope export'.")
    Path modelDir;

    @Option(names = "--inputs", paramLabel = "IN.safetensors", required = true,
            description = "input_ids: I64 or I32 [S] or [B,S], the image token once per row or once per visual "
                    + "token; optional pixel_values: F32 [B,3,H,W].")
    Path inputs;

    @Option(names = "--cache", paramLabel = "OUT.safetensors",
            description = "Write logits and the --hooks tensors here, keyed by hook name, batch dimension kept.")
    Path cache;

    @Option(names = "--hooks", paramLabel = "GLOB",
            description = "Hooks to cache, e.g. 'blocks.*.hook_resid_post' (repeatable; needs --cache).")
    List<String> hooks = new ArrayList<>();

    @Mixin
    InterventionOptions interventions;

    @Mixin
    LensOptions lens;

    @Mixin
    DeviceOption device;

    @Spec
    CommandSpec spec;

    /** What the inputs file holds, checked: ids one row per batch entry, pixels null for a text-only run. */
    record Inputs(long[][] ids, NamedTensor pixelValues) {
    }

    @Override
    public Integer call() {
        if (!hooks.isEmpty() && cache == null) {
            throw new ParameterException(spec.commandLine(), "--hooks needs --cache: hook tensors are only written "
                    + "to a cache file");
        }
        if (lens.k != null && cache == null) {
            throw new ParameterException(spec.commandLine(), "--lens needs --cache: lens tensors are only written "
                    + "to a cache file");
        }
        interventions.check();
        if (!Files.isDirectory(modelDir)) {
            throw new VlmscopeException("model directory " + modelDir + " does not exist");
        }
        // Checked before the forward pass, which may take minutes on a large model.
        Path cacheDir = cache == null ? null : cache.toAbsolutePath().getParent();
        if (cacheDir != null && !Files.isDirectory(cacheDir)) {
            throw new VlmscopeException("cannot write --cache " + cache + ": directory " + cacheDir
                    + " does not exist");
        }
        Inputs in = readInputs(inputs);
        ModelManifest manifest = ModelManifest.read(modelDir);
        List<String> wanted = resolveHooks(manifest, hooks);
        LensRequest lensRequest = lens.request(manifest.dims().vocab());
        PrintWriter out = spec.commandLine().getOut();
        try (ModelSession session = ModelSession.open(modelDir, device.device, wanted)) {
            int length = ImageTokens.expand(in.ids()[0], manifest.imageTokenId(), manifest.dims().visualTokens()).length;
            List<Intervention> planned = interventions.resolve(session, length);
            if (!planned.isEmpty()) {
                out.println("interventions: " + String.join("; ", planned.stream().map(Intervention::toString).toList()));
            }
            Map<String, NamedTensor> result = Forward.run(session, in.pixelValues(), in.ids(), planned, lensRequest);
            NamedTensor logits = result.get(LOGITS);
            long[] shape = logits.shape();
            int seq = (int) shape[1];
            int vocab = (int) shape[2];
            float[] values = FloatData.of(logits);
            for (int b = 0; b < shape[0]; b++) {
                out.printf("row %d, position %d: top-%d next tokens (id (logit)): %s%n", b, seq - 1, TOP_K,
                        TopTokens.format(TopTokens.of(values, (b * seq + seq - 1) * vocab, vocab, TOP_K)));
            }
            if (cache != null) {
                List<String> notRun = wanted.stream().filter(h -> !result.containsKey(h)).toList();
                if (!notRun.isEmpty()) {
                    spec.commandLine().getErr().printf("vlmscope: warning: %s not cached: the inputs have no "
                            + "pixel_values, so the vision graph did not run%n", String.join(", ",
                            HookNames.collapse(notRun)));
                }
                writeCache(out, session, wanted, lensRequest, result);
            }
        }
        out.flush();
        return 0;
    }

    /**
     * The hook names the globs select, in graph order; a glob matching nothing is a usage error naming it.
     * {@code logits} is left out: it is a graph output already and always cached.
     */
    static List<String> resolveHooks(ModelManifest m, List<String> globs) {
        if (globs.isEmpty()) {
            return List.of();
        }
        List<String> all = new ArrayList<>();
        ModelSession.GRAPHS.forEach(g -> all.addAll(m.graph(g).hooks()));
        try {
            return Hooks.match(all, globs).stream().filter(h -> !h.equals(LOGITS)).toList();
        } catch (GraphException e) {
            throw new BadArgumentException("--hooks: " + e.getMessage());
        }
    }

    private void writeCache(PrintWriter out, ModelSession session, List<String> wanted, LensRequest lensRequest,
                            Map<String, NamedTensor> result) {
        ModelManifest m = session.manifest();
        Map<String, String> meta = new LinkedHashMap<>();
        meta.put("vlmscope.version", Main.VERSION);
        meta.put("model_dir", modelDir.toAbsolutePath().normalize().toString());
        if (m.source() != null) {
            meta.put("model_fingerprint", m.source().fingerprint());
        }
        meta.put("model_dtype", m.dtype());
        meta.put("inputs", inputs.toAbsolutePath().normalize().toString());
        meta.put("hooks", String.join(",", wanted));
        meta.put("device", device.device.name().toLowerCase(Locale.ROOT));
        meta.put("provider", session.provider());
        meta.putAll(interventions.describe());
        if (lensRequest != null) {
            meta.put("lens_k", Integer.toString(lensRequest.k()));
            meta.put("lens_targets", String.join(",", lensRequest.targets().stream().map(String::valueOf).toList()));
        }
        // logits first, then the hooks in graph order and the lens tensors, as Forward returns them.
        List<NamedTensor> tensors = new ArrayList<>();
        tensors.add(result.get(LOGITS));
        result.forEach((name, t) -> {
            if (!name.equals(LOGITS)) {
                tensors.add(t);
            }
        });
        SafetensorsWriter.writeAll(cache, meta, tensors);
        long bytes = tensors.stream().mapToLong(t -> t.data().remaining()).sum();
        out.printf("cache %s: %d tensors, %s: %s%n", cache, tensors.size(), Units.bytes(bytes),
                String.join(", ", HookNames.collapse(tensors.stream().map(NamedTensor::name).toList())));
    }

    /** Reads and checks the inputs file; each error names the tensor and what was expected of it. */
    static Inputs readInputs(Path file) {
        try (SafetensorsFile st = SafetensorsFile.open(file)) {
            if (!st.contains(INPUT_IDS)) {
                throw new VlmscopeException(file + " has no tensor '" + INPUT_IDS + "' (expected I64 or I32 [S] or "
                        + "[B,S]); it holds " + st.names());
            }
            TensorInfo ids = st.info(INPUT_IDS);
            long[] s = ids.shape();
            if (ids.dtype() != DType.I64 && ids.dtype() != DType.I32) {
                throw new VlmscopeException("tensor '" + INPUT_IDS + "' in " + file + " has dtype " + ids.dtype()
                        + "; expected I64 or I32");
            }
            if ((s.length != 1 && s.length != 2) || s[s.length - 1] == 0 || (s.length == 2 && s[0] == 0)) {
                throw new VlmscopeException("tensor '" + INPUT_IDS + "' in " + file + " has shape "
                        + Arrays.toString(s) + "; expected [S] or [B,S] with B, S > 0");
            }
            int batch = s.length == 1 ? 1 : (int) s[0];
            int len = (int) s[s.length - 1];
            long[] flat = st.toLongArray(INPUT_IDS);
            long[][] rows = new long[batch][];
            for (int b = 0; b < batch; b++) {
                rows[b] = Arrays.copyOfRange(flat, b * len, (b + 1) * len);
            }
            return new Inputs(rows, st.contains(PIXEL_VALUES) ? pixels(st, batch) : null);
        }
    }

    private static NamedTensor pixels(SafetensorsFile st, int batch) {
        TensorInfo px = st.info(PIXEL_VALUES);
        long[] s = px.shape();
        if (px.dtype() != DType.F32 || s.length != 4 || s[0] != batch || s[1] != 3) {
            throw new VlmscopeException("tensor '" + PIXEL_VALUES + "' in " + st.path() + " is " + px.dtype() + " "
                    + Arrays.toString(s) + "; expected F32 [" + batch + ",3,H,W] (one image per input_ids row)");
        }
        return NamedTensor.ofFloats(PIXEL_VALUES, s, st.toFloatArray(PIXEL_VALUES));
    }
}
