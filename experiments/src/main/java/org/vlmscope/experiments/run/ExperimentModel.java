package org.vlmscope.experiments.run;

import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.vlmscope.core.ModelManifest;
import org.vlmscope.core.SafetensorsWriter.NamedTensor;
import org.vlmscope.experiments.dataset.ImageGeometry;
import org.vlmscope.runtime.image.ClipImageProcessor;
import org.vlmscope.runtime.image.RgbImage;
import org.vlmscope.runtime.input.ModelInput;
import org.vlmscope.runtime.session.Device;
import org.vlmscope.runtime.session.ModelSession;
import org.vlmscope.runtime.text.PromptTemplate;
import org.vlmscope.runtime.text.PromptTemplates;
import org.vlmscope.runtime.text.PromptTemplates.Fidelity;
import org.vlmscope.runtime.text.PromptTemplates.Variant;
import org.vlmscope.runtime.text.Prompts;
import org.vlmscope.runtime.text.Sequence;
import org.vlmscope.runtime.text.Tokenizer;

/**
 * The model an experiment runs on: its ONNX Runtime session, its tokenizer, its image processor and its image
 * geometry (the token grid from the manifest), with the prompts of EXPERIMENTS.md rendered in one fidelity.
 */
public final class ExperimentModel implements AutoCloseable {
    private final Path dir;
    private final ModelSession session;
    private final Tokenizer tokenizer;
    private final ClipImageProcessor processor;
    private final ImageGeometry geometry;
    private final Fidelity fidelity;

    private ExperimentModel(Path dir, ModelSession session, Tokenizer tokenizer, Fidelity fidelity) {
        this.dir = dir;
        this.session = session;
        this.tokenizer = tokenizer;
        this.fidelity = fidelity;
        this.processor = ClipImageProcessor.fromConfig(dir.resolve(ModelInput.PREPROCESSOR_CONFIG));
        this.geometry = ImageGeometry.of(dir);
    }

    /**
     * Opens the exported model directory ({@code threads} 0 for ONNX Runtime's default); the geometry check comes
     * before the session is built.
     */
    public static ExperimentModel open(Path dir, Device device, int threads, Fidelity fidelity) {
        ImageGeometry.of(dir);
        Tokenizer tokenizer = Tokenizer.load(dir);
        try {
            return new ExperimentModel(dir, ModelSession.open(dir, device, threads, List.of()), tokenizer, fidelity);
        } catch (RuntimeException e) {
            tokenizer.close();
            throw e;
        }
    }

    public Path dir() {
        return dir;
    }

    public ModelSession session() {
        return session;
    }

    public Tokenizer tokenizer() {
        return tokenizer;
    }

    public ModelManifest manifest() {
        return session.manifest();
    }

    public ImageGeometry geometry() {
        return geometry;
    }

    public Fidelity fidelity() {
        return fidelity;
    }

    /** The image as the checkpoint's processor hands it to the vision graph, [1, 3, H, W]. */
    public NamedTensor pixels(RgbImage image) {
        return processor.pixelValues(image);
    }

    /** {@code question} in the model's chat template ({@code variant}, this fidelity), tokenized and expanded. */
    public Sequence prompt(Variant variant, String question) {
        PromptTemplate template = PromptTemplates.forModel(manifest(), variant, fidelity);
        return Prompts.build(tokenizer, template, question, manifest());
    }

    /** The rendered text of a prompt, as the code fidelity's generative rule reads it with the output. */
    public String promptText(Variant variant, String question) {
        return PromptTemplates.forModel(manifest(), variant, fidelity).render(question);
    }

    /** Text of new tokens, special tokens dropped. */
    public String decode(long[] ids) {
        return tokenizer.decode(ids, true);
    }

    /** The ids decoding stops at. */
    public Set<Long> endIds() {
        List<Long> eos = manifest().eosTokenIds();
        return eos == null ? Set.of() : new HashSet<>(eos);
    }

    @Override
    public void close() {
        try {
            session.close();
        } finally {
            tokenizer.close();
        }
    }
}
