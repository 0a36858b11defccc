package org.vlmscope.experiments.run;

import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.vlmscope.core.ModelManifest;
import org.vlmscope.experiments.dataset.ImageGeometry;
import org.vlmscope.runtime.family.RuntimeFamilies;
import org.vlmscope.runtime.family.RuntimeFamily;
import org.vlmscope.runtime.image.ImageProcessor;
import org.vlmscope.runtime.image.RgbImage;
import org.vlmscope.runtime.image.TokenGrid;
import org.vlmscope.runtime.image.VisionInput;
import org.vlmscope.runtime.session.Device;
import org.vlmscope.runtime.session.ModelSession;
import org.vlmscope.runtime.text.PromptTemplate;
import org.vlmscope.runtime.text.PromptTemplates.Fidelity;
import org.vlmscope.runtime.text.PromptTemplates.Variant;
import org.vlmscope.runtime.text.Prompts;
import org.vlmscope.runtime.text.Sequence;
import org.vlmscope.runtime.text.Tokenizer;

/**
 * The model an experiment runs on: its ONNX Runtime session, its tokenizer, its family's image processor and
 * prompt template, and its image geometry (a fixed grid from the manifest, or each image's own), with the prompts
 * of EXPERIMENTS.md rendered in one fidelity. A prompt is built for one image: its visual tokens follow that
 * image's grid.
 */
public final class ExperimentModel implements AutoCloseable {
    private final Path dir;
    private final ModelSession session;
    private final Tokenizer tokenizer;
    private final RuntimeFamily family;
    private final ImageProcessor processor;
    private final ImageGeometry geometry;
    private final Fidelity fidelity;

    private ExperimentModel(Path dir, ModelSession session, Tokenizer tokenizer, Fidelity fidelity) {
        this.dir = dir;
        this.session = session;
        this.tokenizer = tokenizer;
        this.fidelity = fidelity;
        this.family = RuntimeFamilies.of(session.manifest());
        this.processor = family.imageProcessor(dir);
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

    /**
     * The image as the checkpoint's processor hands it to the vision graph: LLaVA's [1, 3, H, W], Qwen2-VL's pixel
     * rows with the image's grid.
     */
    public VisionInput pixels(RgbImage image) {
        return processor.vision(image);
    }

    /** The visual-token grid of one image (as {@link #pixels} made it). */
    public TokenGrid grid(VisionInput image) {
        return family.tokenGrids(manifest(), image).get(0);
    }

    /**
     * {@code question} in the model's chat template ({@code variant}, this fidelity), tokenized, with the image
     * placeholder expanded to the visual tokens of {@code image}'s grid.
     */
    public Sequence prompt(Variant variant, String question, VisionInput image) {
        return Prompts.build(tokenizer, template(variant), question, manifest().imageTokenId(), grid(image));
    }

    /** The rendered text of a prompt, as the code fidelity's generative rule reads it with the output. */
    public String promptText(Variant variant, String question) {
        return template(variant).render(question);
    }

    private PromptTemplate template(Variant variant) {
        return family.promptTemplate(dir, manifest(), variant, fidelity, 1);
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
