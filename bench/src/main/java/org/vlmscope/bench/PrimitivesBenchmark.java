package org.vlmscope.bench;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import java.nio.FloatBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.vlmscope.core.ModelManifest;
import org.vlmscope.core.SafetensorsWriter.NamedTensor;
import org.vlmscope.core.VlmscopeException;
import org.vlmscope.core.vocab.GraphNames;
import org.vlmscope.core.vocab.HookName;
import org.vlmscope.runtime.attribution.IntegratedGradients;
import org.vlmscope.runtime.intervene.Intervention;
import org.vlmscope.runtime.intervene.LensRequest;
import org.vlmscope.runtime.run.Forward;
import org.vlmscope.runtime.run.Greedy;
import org.vlmscope.runtime.run.PreparedPrompt;
import org.vlmscope.runtime.session.Device;
import org.vlmscope.runtime.session.ModelSession;
import org.vlmscope.runtime.image.ClipImageProcessor;
import org.vlmscope.runtime.image.ImageDecoder;
import org.vlmscope.runtime.text.Sequence;
import org.vlmscope.runtime.text.Tokenizer;

/**
 * The primitives the paper's experiments are made of, timed on one exported model and one image in one process
 * (issue 12): each after one warm-up run, then {@code reps} timed runs; b, d and e compute logits at the last
 * position only, c keeps every position for the lens. Polling prompt for b-f, description
 * prompt for g. The region of d and e is the 60 visual tokens in patch rows 9-14, columns 7-16 of the grid.
 */
public final class PrimitivesBenchmark {
    public static final String POLLING_PROMPT = "USER: <image>\nIs there a dog in this image? ASSISTANT:";
    public static final String DESCRIBE_PROMPT = "USER: <image>\nDescribe this image. ASSISTANT:";
    /** Every primitive, in the order they run. */
    public static final List<String> PRIMITIVES = List.of("b_prefill", "b_prefill_lm", "c_lens", "d_ablation",
            "e_knockout", "f_ig", "g_generate_200", "g_generate_10");
    static final int IG_STEPS = 50;
    static final int[] KNOCKOUT_LAYERS = {2, 3, 4, 5};
    /** Polling, ablation and knockout read the answer token's logits only. */
    private static final Forward.Logits LAST = Forward.Logits.LAST;

    /** Wall seconds over the timed runs, and the median CPU seconds (all threads) of one run. */
    public record Timing(double medianS, double minS, double maxS, int n, double medianCpuS) {
    }

    /**
     * One primitive: its timing, resident memory before its runs and the peak during them, the proportional set
     * size after them (bytes; -1 when unknown), and the 1-minute load average of the machine before and after.
     */
    public record Step(String name, Timing timing, long residentBeforeBytes, long peakBytes, long pssAfterBytes,
                       double loadBefore, double loadAfter) {
    }

    /** The model, the prompt lengths, memory once the model is loaded, every step, and the process's peak. */
    public record Report(Path model, String provider, ModelManifest.Dims dims, int pollingLength, int describeLength,
                         int igBatch, long loadedBytes, List<Step> steps, long peakBytes) {
    }

    /** Progress: called before each primitive's warm-up. */
    public interface Listener {
        void starting(String primitive);
    }

    private PrimitivesBenchmark() {
    }

    /** Runs the primitives named in {@code only} (all when empty), in the order of {@link #PRIMITIVES}. */
    public static Report run(Path modelDir, Path image, int reps, int igBatch, Set<String> only, Listener listener) {
        if (reps < 1 || igBatch < 1) {
            throw new VlmscopeException("the benchmark needs at least 1 timed run and an IG batch of at least 1");
        }
        for (String name : only) {
            if (!PRIMITIVES.contains(name)) {
                throw new VlmscopeException("no primitive named '" + name + "'; the primitives are "
                        + String.join(", ", PRIMITIVES));
            }
        }
        Set<String> chosen = only.isEmpty() ? Set.copyOf(PRIMITIVES) : only;
        NamedTensor pixels = ClipImageProcessor.fromConfig(modelDir.resolve(ClipImageProcessor.CONFIG_FILE))
                .pixelValues(ImageDecoder.read(image));
        Sequence polling;
        Sequence describe;
        long yes;
        try (Tokenizer tokenizer = Tokenizer.load(modelDir)) {
            ModelManifest m = ModelManifest.read(modelDir);
            polling = prompt(tokenizer, m, POLLING_PROMPT);
            describe = prompt(tokenizer, m, DESCRIBE_PROMPT);
            long[] yesIds = tokenizer.encode("Yes", false);
            yes = yesIds[yesIds.length - 1];
        }
        List<Step> steps = new ArrayList<>();
        try (ModelSession session = ModelSession.open(modelDir, Device.CPU, List.of())) {
            long loaded = ProcessStats.residentBytes();
            long[][] ids = {polling.ids()};
            float[] mean = meanVisualToken(session, pixels);
            int[] region = region(polling);
            int last = polling.lastPosition();

            if (chosen.contains("b_prefill")) {
                listener.starting("b_prefill");
                steps.add(time("b_prefill", reps, () -> Forward.run(session, pixels, ids, List.of(), null, LAST), null));
            }
            if (chosen.contains("b_prefill_lm")) {
                // The language model alone on embeddings computed once: what Hugging Face's LM prefill times.
                listener.starting("b_prefill_lm");
                try (PreparedPrompt prompt = PreparedPrompt.of(session, pixels, ids)) {
                    steps.add(time("b_prefill_lm", reps, () -> prompt.run(List.of(), null, LAST), null));
                }
            }
            if (chosen.contains("c_lens")) {
                listener.starting("c_lens");
                try (ModelSession lens = ModelSession.open(modelDir, Device.CPU,
                        List.of(HookName.residPre(0), HookName.EVERY_RESID_POST))) {
                    steps.add(time("c_lens", reps, () -> Forward.run(lens, pixels, ids, List.of(),
                            new LensRequest(5, List.of())), null));
                }
            }
            if (chosen.contains("d_ablation")) {
                listener.starting("d_ablation");
                List<Intervention> ablation = List.of(new Intervention.Ablation(region, mean));
                steps.add(time("d_ablation", reps, () -> Forward.run(session, pixels, ids, ablation, null, LAST), null));
            }
            if (chosen.contains("e_knockout")) {
                listener.starting("e_knockout");
                // Layers 2-5, those the model has (2-3 of a 4-layer model).
                int[] layers = java.util.Arrays.stream(KNOCKOUT_LAYERS)
                        .filter(l -> l < session.manifest().dims().layers()).toArray();
                List<Intervention> knockout = List.of(new Intervention.Knockout(region, new int[] {last}, layers));
                steps.add(time("e_knockout", reps, () -> Forward.run(session, pixels, ids, knockout, null, LAST), null));
            }
            if (chosen.contains("f_ig")) {
                steps.add(integratedGradients(session, pixels, polling, yes, mean, reps, igBatch, listener));
            }
            long[][] describeIds = {describe.ids()};
            for (int tokens : new int[] {200, 10}) {
                String name = "g_generate_" + tokens;
                if (chosen.contains(name)) {
                    listener.starting(name);
                    steps.add(time(name, reps, () -> Greedy.run(session, pixels, describeIds, tokens, Set.of()), null));
                }
            }
            return new Report(modelDir, session.provider(), session.manifest().dims(), polling.length(),
                    describe.length(), igBatch, loaded, steps, steps.stream().mapToLong(Step::peakBytes).max().orElse(-1));
        }
    }

    /** IG-50 of the "Yes" logit over the polling prompt's visual tokens, from the image's mean visual token. */
    private static Step integratedGradients(ModelSession session, NamedTensor pixels, Sequence polling, long yes,
                                            float[] mean, int reps, int igBatch, Listener listener) {
        listener.starting("f_ig");
        var baseline = new IntegratedGradients.Baseline(mean, polling.visualPositions());
        var target = new IntegratedGradients.Target(yes, null, -1);
        var options = new IntegratedGradients.Options(IG_STEPS, IntegratedGradients.Rule.LINSPACE,
                IntegratedGradients.Reduce.ABSSUM, igBatch);
        // The warm-up builds the gradient variant with one batch of points, not a whole IG-50.
        var warmUp = new IntegratedGradients.Options(igBatch, IntegratedGradients.Rule.LINSPACE,
                IntegratedGradients.Reduce.ABSSUM, igBatch);
        return time("f_ig", reps,
                () -> IntegratedGradients.run(session, pixels, polling.ids(), baseline, target, options),
                () -> IntegratedGradients.run(session, pixels, polling.ids(), baseline, target, warmUp));
    }

    /** The raw prompt tokenized verbatim (BOS added by the tokenizer), the image placeholder expanded. */
    private static Sequence prompt(Tokenizer tokenizer, ModelManifest m, String text) {
        return Sequence.expand(tokenizer.encode(text), m.imageTokenId(), m.dims().visualTokens(), m.dims().gridSize());
    }

    /**
     * Sequence positions of the visual tokens in patch rows 9-14, columns 7-16 of a 24x24 grid (60 tokens), the
     * same share of a grid of another size (rows 4-7, columns 3-8 of a 12x12 one).
     */
    static int[] region(Sequence s) {
        List<Integer> positions = new ArrayList<>();
        int rows = s.gridHeight();
        int cols = s.gridWidth();
        for (int row = 9 * rows / 24; row <= 14 * rows / 24; row++) {
            for (int col = 7 * cols / 24; col <= 16 * cols / 24; col++) {
                positions.add(s.position(row, col));
            }
        }
        return positions.stream().mapToInt(Integer::intValue).toArray();
    }

    /** The mean of the image's visual tokens (vision graph output image_features [1, tokens, d_model]). */
    private static float[] meanVisualToken(ModelSession session, NamedTensor pixels) {
        try (OnnxTensor px = OnnxTensor.createTensor(session.env(), FloatBuffer.wrap(pixels.toFloatArray()), pixels.shape());
             OrtSession.Result r = session.run(GraphNames.VISION, Map.of(GraphNames.PIXEL_VALUES, px))) {
            FloatBuffer features = ((OnnxTensor) r.get(GraphNames.IMAGE_FEATURES).orElseThrow()).getFloatBuffer();
            int d = session.manifest().dims().dModel();
            int tokens = features.remaining() / d;
            double[] sum = new double[d];
            for (int i = 0; i < tokens * d; i++) {
                sum[i % d] += features.get(i);
            }
            float[] mean = new float[d];
            for (int j = 0; j < d; j++) {
                mean[j] = (float) (sum[j] / tokens);
            }
            return mean;
        } catch (OrtException e) {
            throw new VlmscopeException("cannot run the vision graph: " + e.getMessage(), e);
        }
    }

    /** One warm-up ({@code warmUp}, or the primitive itself when null), then {@code reps} timed runs. */
    private static Step time(String name, int reps, Runnable primitive, Runnable warmUp) {
        (warmUp != null ? warmUp : primitive).run();
        double loadBefore = ProcessStats.loadAverage();
        long before = ProcessStats.residentBytes();
        boolean reset = ProcessStats.resetPeak();
        double[] seconds = new double[reps];
        double[] cpu = new double[reps];
        for (int i = 0; i < reps; i++) {
            double c0 = ProcessStats.cpuSeconds();
            long t0 = System.nanoTime();
            primitive.run();
            seconds[i] = (System.nanoTime() - t0) / 1e9;
            cpu[i] = ProcessStats.cpuSeconds() - c0;
        }
        long peak = reset ? ProcessStats.peakBytes() : -1;
        double[] sorted = seconds.clone();
        Arrays.sort(sorted);
        Timing timing = new Timing(median(seconds), sorted[0], sorted[reps - 1], reps, median(cpu));
        return new Step(name, timing, before, peak, ProcessStats.proportionalBytes(), loadBefore,
                ProcessStats.loadAverage());
    }

    static double median(double[] values) {
        double[] sorted = values.clone();
        Arrays.sort(sorted);
        int n = sorted.length;
        return n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
    }
}
