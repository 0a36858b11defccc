package org.vlmscope.experiments.run;

import java.io.IOException;
import java.nio.ByteOrder;
import java.nio.LongBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.vlmscope.core.SafetensorsWriter.NamedTensor;
import org.vlmscope.core.vocab.GraphNames;
import org.vlmscope.experiments.dataset.DatasetFile;
import org.vlmscope.experiments.dataset.DatasetRecord;
import org.vlmscope.experiments.dataset.PngFiles;
import org.vlmscope.experiments.metrics.TokenMatchRule;
import org.vlmscope.experiments.records.ExperimentRecord;
import org.vlmscope.experiments.records.ExperimentRun;
import org.vlmscope.experiments.records.LensRecord;
import org.vlmscope.experiments.records.LensSidecar;
import org.vlmscope.experiments.records.LensSidecars;
import org.vlmscope.experiments.records.RunManifest;
import org.vlmscope.experiments.records.WorkUnit;
import org.vlmscope.runtime.image.VisionInput;
import org.vlmscope.runtime.image.ImageDecoder;
import org.vlmscope.runtime.image.RgbImage;
import org.vlmscope.runtime.intervene.LensRequest;
import org.vlmscope.runtime.run.Forward;
import org.vlmscope.runtime.text.PromptTemplates.Fidelity;
import org.vlmscope.runtime.text.PromptTemplates.Variant;
import org.vlmscope.runtime.text.Sequence;

/**
 * The logit lens over a dataset (section 4.1): per kept image, one forward pass of the lens prompt with the
 * in-graph lens (final norm and unembedding at every residual stream, top-k per position); per layer the fraction
 * of object cells whose top-1 token matches the object's first sub-word under the {@link TokenMatchRule}; and the
 * viewer's sidecar (top-k tokens and probabilities of every grid cell at every layer, with the crop the model saw),
 * written before the record that names it.
 */
public final class LensRunner {
    static final String TASK = "logit lens";
    public static final String LENS_QUESTION = "Describe the image.";
    /** Tokens kept per position (EXPERIMENTS.md: k = 5). */
    public static final int TOP_K = 5;
    /**
     * How the lens applied the final norm, as run.json records it: once at every layer (paper), or twice at the last
     * layer (code: Hugging Face's last hidden state is already normed and the paper's code norms it again).
     */
    static String finalNorm(Fidelity fidelity) {
        return fidelity == Fidelity.CODE ? "twice at the last layer" : "once";
    }

    public record Inputs(Path dataset, Path images) {
    }

    private LensRunner() {
    }

    public static RunContext.Summary run(ExperimentModel model, Inputs inputs, TokenMatchRule rule, RunContext context)
            throws IOException {
        long started = System.nanoTime();
        List<DatasetRecord> kept = DatasetFile.read(inputs.dataset()).stream().filter(DatasetRecord::kept).toList();
        Map<Long, ObjectToken> objects = new LinkedHashMap<>();
        for (WorkUnit<DatasetRecord> u : context.selection().select(kept)) {
            objects.put(u.item().imageId(), ExperimentImages.check(u.item(), inputs.dataset(), inputs.images(), model));
        }
        RunManifest manifest = context.manifest(RunManifest.LOGIT_LENS, model, Map.of("dataset", inputs.dataset()),
                Map.of("match_rule", rule.toString(), "top_k", Integer.toString(TOP_K), "final_norm",
                        finalNorm(model.fidelity())));
        int appended = 0;
        try (ExperimentRun run = ExperimentRun.open(context.results(), manifest)) {
            ExperimentRun.Plan<DatasetRecord> plan = run.plan(kept, context.selection(),
                    r -> List.of(ExperimentRecord.key(LensRecord.KIND, Long.toString(r.imageId()))));
            int total = plan.selected().size();
            int done = plan.resumed();
            context.progress().report(TASK, done, total);
            for (WorkUnit<DatasetRecord> unit : plan.remaining()) {
                DatasetRecord r = unit.item();
                RgbImage image = ImageDecoder.read(inputs.images().resolve(r.file()));
                VisionInput pixels = model.pixels(image);
                Sequence seq = model.prompt(Variant.GENERATIVE, LENS_QUESTION, pixels);
                LensSidecar sidecar = sidecar(model, pixels, seq, Long.toString(r.imageId()));
                ObjectToken object = objects.get(r.imageId());
                List<Integer> cells = Arrays.stream(r.objectCells()).boxed().toList();
                String path = LensSidecars.write(run.directory(), sidecar, PngFiles.bytes(crop(image, r)), "png");
                run.append(LensRecord.of(sidecar.imageId(), r.object(), object.piece(), rule.toString(),
                        sidecar.gridRows(), sidecar.gridCols(), cells,
                        rule.layerFractions(sidecar.tokens(), cells, object.piece()), path));
                appended++;
                context.progress().report(TASK, ++done, total);
            }
            return new RunContext.Summary(total, plan.resumed(), appended, (System.nanoTime() - started) / 1e9);
        }
    }

    /**
     * The lens of one prompt on one image, read at the visual positions: per grid cell (row-major) and residual
     * stream (0 = embedding output), the top-k tokens as spelled in the vocabulary and their probabilities.
     */
    public static LensSidecar sidecar(ExperimentModel model, VisionInput pixels, Sequence seq, String imageId) {
        Map<String, NamedTensor> out = Forward.run(model.session(), pixels, new long[][] {seq.ids()}, List.of(),
                new LensRequest(TOP_K, List.of(), model.fidelity() == Fidelity.CODE), Forward.Logits.LAST);
        NamedTensor ids = out.get(GraphNames.LENS_TOP_IDS);
        float[] probs = out.get(GraphNames.LENS_TOP_PROBS).toFloatArray();
        LongBuffer idBuffer = ids.data().duplicate().order(ByteOrder.LITTLE_ENDIAN).asLongBuffer();
        int rows = (int) ids.shape()[0];
        int length = (int) ids.shape()[2];
        int k = (int) ids.shape()[3];
        List<List<List<String>>> tokens = new ArrayList<>();
        List<List<List<Double>>> p = new ArrayList<>();
        for (int cell = 0; cell < seq.visualTokens(); cell++) {
            int position = seq.position(cell);
            List<List<String>> cellTokens = new ArrayList<>();
            List<List<Double>> cellProbs = new ArrayList<>();
            for (int layer = 0; layer < rows; layer++) {
                List<String> t = new ArrayList<>();
                List<Double> q = new ArrayList<>();
                for (int j = 0; j < k; j++) {
                    int at = (layer * length + position) * k + j;
                    t.add(spelling(model, idBuffer.get(at)));
                    q.add((double) probs[at]);
                }
                cellTokens.add(t);
                cellProbs.add(q);
            }
            tokens.add(cellTokens);
            p.add(cellProbs);
        }
        return new LensSidecar(imageId, seq.gridHeight(), seq.gridWidth(), rows, k, null, tokens, p);
    }

    /** A token as the vocabulary spells it; an id the tokenizer lacks (an embedding row past it) as {@code <id N>}. */
    private static String spelling(ExperimentModel model, long id) {
        return model.tokenizer().hasToken(id) ? model.tokenizer().token(id) : "<id " + id + ">";
    }

    /** The part of the image the model saw: the record's centre crop, or the whole image when it has none. */
    static RgbImage crop(RgbImage image, DatasetRecord r) {
        int[] region = r.region();
        return image.pastedOnto(region[2], region[3], new int[3], -region[0], -region[1]);
    }
}
