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
import java.util.stream.Collectors;
import org.vlmscope.runtime.input.ModelInput;
import org.vlmscope.runtime.summary.TopTokens;
import org.vlmscope.runtime.run.PromptRun;
import org.vlmscope.core.vocab.MetadataKeys;
import org.vlmscope.core.vocab.HookName;
import org.vlmscope.core.vocab.GraphNames;
import org.vlmscope.core.BadArgumentException;
import org.vlmscope.core.ModelManifest;
import org.vlmscope.core.SafetensorsWriter;
import org.vlmscope.core.SafetensorsWriter.NamedTensor;
import org.vlmscope.core.VlmscopeException;
import org.vlmscope.graph.GraphException;
import org.vlmscope.graph.passes.Hooks;
import org.vlmscope.runtime.run.Greedy;
import org.vlmscope.runtime.intervene.Intervention;
import org.vlmscope.runtime.intervene.LensRequest;
import org.vlmscope.runtime.session.ModelSession;
import org.vlmscope.runtime.text.PromptTemplate;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code vlmscope run}: one forward pass over an image and a prompt (or prepared ids), optionally under
 * interventions (ablation, patches, knockouts) and with the logit lens, printing the next-token candidates and a
 * greedy answer, and optionally caching logits, hook activations and lens tensors for analysis in Python.
 */
@Command(name = "run", mixinStandardHelpOptions = true, sortOptions = false,
        description = "Run a model directory on an image and a prompt (or on prepared input_ids and pixel_values), "
                + "optionally with interventions and the logit lens; print the top-5 next tokens per batch row and "
                + "the greedy answer, and optionally cache logits, hook activations and lens tensors. A single .onnx "
                + "file runs once on --inputs and caches every output.")
final class RunCommand implements Callable<Integer> {
    static final String LOGITS = GraphNames.LOGITS;
    private static final int TOP_K = 5;
    /** Enough for a short answer from a real model; --max-new-tokens overrides it. */
    private static final int DEFAULT_ANSWER_TOKENS = 20;

    @Parameters(paramLabel = "MODEL_DIR|FILE.onnx", description = "Model directory written by 'vlmscope export', or "
            + "any single ONNX file, run on the tensors of --inputs (hooks located by structure when it has none).")
    Path modelDir;

    @Mixin
    PromptInput input;

    @Option(names = "--max-new-tokens", paramLabel = "N",
            description = "Tokens to generate greedily after the prompt, with the KV cache and the interventions "
                    + "(patches and ablations on the prompt, knockouts at every step); the answer is printed and "
                    + "cached (default: " + DEFAULT_ANSWER_TOKENS + " with --prompt or --raw-prompt, 0 with --inputs).")
    Integer maxNewTokens;

    @Option(names = "--cache", paramLabel = "OUT.safetensors",
            description = "Write logits and the --hooks tensors of the prompt here, keyed by hook name, batch "
                    + "dimension kept; the header records the model, the input, positions and interventions.")
    Path cache;

    @Option(names = "--hooks", paramLabel = "GLOB",
            description = "Hooks to cache, e.g. '" + HookName.EVERY_RESID_POST + "' (repeatable; needs --cache).")
    List<String> hooks = new ArrayList<>();

    @Mixin
    InterventionOptions interventions;

    @Mixin
    LensOptions lens;

    @Mixin
    RuntimeOptions runtime;

    @Spec
    CommandSpec spec;

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
        if (OnnxFileRunner.isOnnxFile(modelDir)) {
            return OnnxFileRunner.run(this);
        }
        if (maxNewTokens != null && maxNewTokens < 0) {
            throw new BadArgumentException("--max-new-tokens must be 0 or more, got " + maxNewTokens);
        }
        input.check();
        interventions.check();
        ModelManifest manifest = ModelManifest.read(modelDir);
        // Checked before the forward pass, which may take minutes on a large model.
        Path cacheDir = cache == null ? null : cache.toAbsolutePath().getParent();
        if (cacheDir != null && !Files.isDirectory(cacheDir)) {
            throw new VlmscopeException("cannot write --cache " + cache + ": directory " + cacheDir
                    + " does not exist");
        }
        List<String> wanted = resolveHooks(manifest, hooks);
        LensRequest lensRequest = lens.request(manifest.dims().vocab());
        PrintWriter out = spec.commandLine().getOut();
        try (ModelInput.Prepared in = input.prepare(modelDir, manifest);
             ModelSession session = runtime.open(modelDir, wanted)) {
            out.println(in.summary());
            List<Intervention> planned = interventions.resolve(session, in.length());
            if (!planned.isEmpty()) {
                out.println("interventions: " + String.join("; ", planned.stream().map(Intervention::toString).toList()));
            }
            int newTokens = maxNewTokens != null ? maxNewTokens : in.tokenizer() != null ? DEFAULT_ANSWER_TOKENS : 0;
            PromptRun.Result run = PromptRun.run(session, in.vision(), in.ids(), planned, lensRequest, newTokens);
            Map<String, NamedTensor> result = run.outputs();
            NamedTensor logits = result.get(LOGITS);
            List<List<TopTokens.Token>> top = TopTokens.atLastPosition(logits, TOP_K);
            for (int b = 0; b < top.size(); b++) {
                out.printf("row %d, position %d: top-%d next tokens (id (logit)): %s%n", b, logits.shape()[1] - 1,
                        TOP_K, TopTokens.format(top.get(b)));
            }
            Map<String, String> answer = run.generation() == null ? Map.of() : answer(out, in, run.generation());
            if (cache != null) {
                List<String> notRun = wanted.stream().filter(h -> !result.containsKey(h)).toList();
                if (!notRun.isEmpty()) {
                    spec.commandLine().getErr().printf("vlmscope: warning: %s not cached: the input has no "
                            + "image, so the vision graph did not run%n", String.join(", ", HookNames.collapse(notRun)));
                }
                writeCache(out, session, in, wanted, lensRequest, result, answer);
            }
            runtime.announce(spec, session);
        }
        out.flush();
        return 0;
    }

    /** Prints each row's new tokens, decoded when the prompt was text; returns them for the cache's metadata. */
    private static Map<String, String> answer(PrintWriter out, ModelInput.Prepared in, Greedy.Generation g) {
        Map<String, String> meta = new LinkedHashMap<>();
        List<String> rows = new ArrayList<>();
        for (int b = 0; b < g.tokens().length; b++) {
            long[] tokens = g.tokens()[b];
            String ids = Arrays.stream(tokens).mapToObj(Long::toString).collect(Collectors.joining(" "));
            rows.add(ids);
            if (in.tokenizer() != null) {
                String text = in.tokenizer().decode(tokens, true);
                meta.put("answer", text);
                out.printf("answer (%d tokens: %s): %s%n", tokens.length, ids, PromptTemplate.quote(text));
            } else {
                out.printf("row %d, %d new tokens: %s%n", b, tokens.length, ids);
            }
        }
        meta.put("answer_ids", String.join(";", rows));
        return meta;
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

    private void writeCache(PrintWriter out, ModelSession session, ModelInput.Prepared in, List<String> wanted,
                            LensRequest lensRequest, Map<String, NamedTensor> result, Map<String, String> answer) {
        ModelManifest m = session.manifest();
        Map<String, String> meta = new LinkedHashMap<>();
        meta.put(MetadataKeys.VERSION, Main.VERSION);
        meta.put("model_dir", modelDir.toAbsolutePath().normalize().toString());
        if (m.source() != null) {
            meta.put("model_fingerprint", m.source().fingerprint());
        }
        meta.put("model_dtype", m.dtype());
        meta.putAll(in.metadata());
        meta.put("hooks", String.join(",", wanted));
        meta.put("device", runtime.device.name().toLowerCase(Locale.ROOT));
        meta.put("provider", session.provider());
        meta.putAll(interventions.describe());
        if (lensRequest != null) {
            meta.put("lens_k", Integer.toString(lensRequest.k()));
            meta.put("lens_targets", String.join(",", lensRequest.targets().stream().map(String::valueOf).toList()));
        }
        meta.putAll(answer);
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
}
