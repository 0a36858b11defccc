package org.vlmscope.cli;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;
import java.util.function.ToIntFunction;
import org.vlmscope.core.vocab.HookName;
import org.vlmscope.core.BadArgumentException;
import org.vlmscope.core.VectorFile;
import org.vlmscope.core.VlmscopeException;
import org.vlmscope.graph.TensorType;
import org.vlmscope.runtime.intervene.Intervention;
import org.vlmscope.runtime.session.ModelSession;
import org.vlmscope.runtime.intervene.Positions;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.Option;
import picocli.CommandLine.TypeConversionException;

/**
 * The options of {@code run} that change the forward pass, turned into runtime {@link Intervention}s. Their form
 * (position lists, separators) is checked while the command line is parsed, so a typo fails at once; what needs
 * the model (layer count, vector widths, hook names) is checked once it is open. Every message names the option
 * value at fault.
 */
final class InterventionOptions {
    private static final String POSITIONS_HELP = "Positions: 4-579, 10,11,12 or 4-579,590 (inclusive ranges).";

    @Option(names = "--ablate", paramLabel = "POSITIONS", converter = AblateConverter.class,
            description = "Replace the LM input embeddings at POSITIONS with the --ablate-with vector, on the "
                    + "prefill (repeatable). " + POSITIONS_HELP)
    List<Ablate> ablate = new ArrayList<>();

    @Option(names = "--ablate-with", paramLabel = "VECTOR",
            description = "The ablation vector, d_model values: a .safetensors file holding one tensor, "
                    + "FILE.safetensors:TENSOR, or a PyTorch .pt file of one float32 tensor (its pickle is never run).")
    String ablateWith;

    @Option(names = "--patch", paramLabel = "HOOK=VECTOR@POSITIONS", converter = PatchConverter.class,
            description = "Write one row of values into HOOK (a [batch, sequence, ...] hook) at POSITIONS, on the "
                    + "prefill (repeatable). VECTOR is read as for --ablate-with and holds as many values as the "
                    + "hook has per position.")
    List<PatchSpec> patch = new ArrayList<>();

    @Option(names = "--knockout", paramLabel = "FROM:TO@LAYERS", converter = KnockoutConverter.class,
            description = "In LAYERS (1-2, 0,3 or all), for all heads, block attention from key positions FROM to "
                    + "query positions TO (repeatable). A knockout leaving a query no key is refused.")
    List<KnockoutSpec> knockout = new ArrayList<>();

    record Ablate(String text, int[] positions) {
    }

    record PatchSpec(String text, String hook, String vector, int[] positions) {
    }

    /** Layers stay text until the model's layer count is known ({@code all}, range checks). */
    record KnockoutSpec(String text, int[] from, int[] to, String layers) {
    }

    /** The checks that need no model: --ablate and --ablate-with come together. */
    void check() {
        if (!ablate.isEmpty() && ablateWith == null) {
            throw new BadArgumentException("--ablate needs --ablate-with VECTOR: the value written at the positions");
        }
        if (ablate.isEmpty() && ablateWith != null) {
            throw new BadArgumentException("--ablate-with " + ablateWith + " without --ablate: no positions to replace");
        }
    }

    /**
     * The interventions, in option order: ablations, patches, knockouts. {@code length} is the LM sequence after
     * the image placeholder is expanded; ablation positions are checked against it here, so the message names
     * {@code --ablate} rather than the embedding hook it patches. Patch and knockout positions are checked by the
     * runtime, which knows each graph's sequence (vision hooks count CLS and patches, not prompt tokens).
     */
    List<Intervention> resolve(ModelSession session, int length) {
        return resolve(session.manifest().dims().layers(), hook -> rowWidth(session, hook), length);
    }

    /**
     * As {@link #resolve(ModelSession, int)} for a graph of {@code layers} decoder layers whose hooks hold
     * {@code rowWidth} values per position (a single ONNX file rather than a model directory).
     */
    List<Intervention> resolve(int layers, ToIntFunction<String> rowWidth, int length) {
        List<Intervention> out = new ArrayList<>();
        if (!ablate.isEmpty()) {
            float[] vector = named("--ablate-with", ablateWith, () -> VectorFile.read(ablateWith,
                    rowWidth.applyAsInt(HookName.residPre(0))));
            for (Ablate a : ablate) {
                out.add(named("--ablate", a.text(), () -> {
                    Positions.check(a.positions(), length, "ablation");
                    return new Intervention.Ablation(a.positions(), vector);
                }));
            }
        }
        for (PatchSpec p : patch) {
            out.add(named("--patch", p.text(), () -> new Intervention.HookPatch(p.hook(), p.positions(),
                    VectorFile.read(p.vector(), rowWidth.applyAsInt(p.hook())))));
        }
        for (KnockoutSpec k : knockout) {
            out.add(named("--knockout", k.text(), () ->
                    new Intervention.Knockout(k.from(), k.to(), Positions.parseLayers(k.layers(), layers))));
        }
        return out;
    }

    /** The options as given, for the cache file's metadata: what a reader needs to know the run was intervened. */
    Map<String, String> describe() {
        Map<String, String> meta = new LinkedHashMap<>();
        if (!ablate.isEmpty()) {
            meta.put("ablate", String.join(";", ablate.stream().map(Ablate::text).toList()));
            meta.put("ablate_with", ablateWith);
        }
        if (!patch.isEmpty()) {
            meta.put("patch", String.join(";", patch.stream().map(PatchSpec::text).toList()));
        }
        if (!knockout.isEmpty()) {
            meta.put("knockout", String.join(";", knockout.stream().map(KnockoutSpec::text).toList()));
        }
        return meta;
    }

    /**
     * Values per position of a hook shaped [batch, sequence, fixed sizes...]: what one patch row holds, so the
     * vector file can be checked against it before anything runs.
     */
    private static int rowWidth(ModelSession session, String hook) {
        TensorType t = session.hookType(hook);
        if (t == null || t.rank() < 2 || t.shape().stream().skip(2).anyMatch(d -> !d.isFixed())) {
            throw new BadArgumentException("hook '" + hook + "' cannot be patched by position: it is " + t
                    + ", not [batch, sequence, fixed sizes...]");
        }
        return Math.toIntExact(t.shape().stream().skip(2).mapToLong(TensorType.Dim::size).reduce(1, Math::multiplyExact));
    }

    /**
     * Runs one resolution step, prefixing any failure with the option and value it came from. A vector file that
     * is missing, of another width or not one tensor is a wrong value for its option: a usage error like the rest.
     */
    private static <T> T named(String option, String text, Supplier<T> step) {
        try {
            return step.get();
        } catch (VlmscopeException e) {
            throw new BadArgumentException(option + " " + text + ": " + e.getMessage());
        }
    }

    /** Converters must throw TypeConversionException for picocli to report a usage error naming the option. */
    private static <T> T syntax(Supplier<T> parse) {
        try {
            return parse.get();
        } catch (BadArgumentException e) {
            throw new TypeConversionException(e.getMessage());
        }
    }

    static final class AblateConverter implements ITypeConverter<Ablate> {
        @Override
        public Ablate convert(String text) {
            return syntax(() -> new Ablate(text, Positions.parse(text, "position")));
        }
    }

    static final class PatchConverter implements ITypeConverter<PatchSpec> {
        @Override
        public PatchSpec convert(String text) {
            // The vector may name a tensor after a colon; positions never hold '@', so the last '@' splits them off.
            int eq = text.indexOf('=');
            int at = text.lastIndexOf('@');
            if (eq < 1 || at <= eq + 1 || at == text.length() - 1) {
                throw new TypeConversionException("'" + text + "' is not HOOK=VECTOR@POSITIONS (e.g. "
                        + HookName.residPost(1) + "=mean.safetensors@4-579)");
            }
            return syntax(() -> new PatchSpec(text, text.substring(0, eq), text.substring(eq + 1, at),
                    Positions.parse(text.substring(at + 1), "position")));
        }
    }

    static final class KnockoutConverter implements ITypeConverter<KnockoutSpec> {
        @Override
        public KnockoutSpec convert(String text) {
            int at = text.lastIndexOf('@');
            String pair = at < 0 ? text : text.substring(0, at);
            String[] sides = pair.split(":", -1);
            if (at < 0 || at == text.length() - 1 || sides.length != 2) {
                throw new TypeConversionException("'" + text + "' is not FROM:TO@LAYERS (e.g. 4-579:593@0-9, "
                        + "or 10,11:593@all)");
            }
            return syntax(() -> new KnockoutSpec(text, Positions.parse(sides[0], "FROM position"),
                    Positions.parse(sides[1], "TO position"), text.substring(at + 1)));
        }
    }
}
