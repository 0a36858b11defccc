package org.vlmscope.runtime.family;

import java.nio.file.Path;
import java.util.List;
import org.vlmscope.core.ModelManifest;
import org.vlmscope.core.SafetensorsWriter.NamedTensor;
import org.vlmscope.runtime.image.ImageLayout;
import org.vlmscope.runtime.image.ImageProcessor;
import org.vlmscope.runtime.image.TokenGrid;
import org.vlmscope.runtime.image.VisionInput;
import org.vlmscope.runtime.text.PromptTemplate;
import org.vlmscope.runtime.text.PromptTemplates.Fidelity;
import org.vlmscope.runtime.text.PromptTemplates.Variant;

/**
 * What running a model needs from its family, chosen by vlmscope.json's {@code family} (the exporter's
 * ExportFamily wrote it): the image processor, the prompt template, the visual-token grid of each image, how the
 * vision graph is fed and what its features look like, and the position ids. The names of the graphs' inputs and
 * outputs are shared (core.vocab.GraphNames); what differs lives behind this interface.
 */
public interface RuntimeFamily {
    /** The family's name, as vlmscope.json records it. */
    String id();

    /** The image preprocessing of the model in {@code modelDir} (its preprocessor_config.json). */
    ImageProcessor imageProcessor(Path modelDir);

    /**
     * The prompt a question about {@code images} images is rendered into, in {@code variant} and {@code fidelity},
     * for the model in {@code modelDir} (whose chat template it may read); a family that places fewer images per
     * prompt refuses more.
     */
    PromptTemplate promptTemplate(Path modelDir, ModelManifest manifest, Variant variant, Fidelity fidelity,
                                  int images);

    /** The decoder's position ids. */
    PositionIds positionIds(ModelManifest manifest);

    /** The visual-token grid of each image of {@code vision}, in order (empty for null: a text-only run). */
    List<TokenGrid> tokenGrids(ModelManifest manifest, VisionInput vision);

    /**
     * Where the visual tokens of the model in {@code modelDir} fall on an image of any size: the region it keeps
     * and the token grid over it, as its image processor and vision graph will make them.
     */
    ImageLayout.Rule imageLayouts(ModelManifest manifest, Path modelDir);

    /**
     * The prompt rows with each image placeholder (one image token) expanded to its image's visual tokens; rows
     * already expanded, or without images, stay as they are.
     */
    long[][] expandImages(ModelManifest manifest, long[][] rows, VisionInput vision);

    /**
     * Checks {@code vision} (null for none) against the family's vision graph and the expanded prompt rows
     * {@code ids}, before anything runs; every failure names the tensor and what was expected.
     */
    void checkVision(ModelManifest manifest, VisionInput vision, long[][] ids);

    /** The vision graph's inputs for {@code vision}. */
    List<NamedTensor> visionFeeds(ModelManifest manifest, VisionInput vision);

    /**
     * The vision graph's {@code image_features} output as the embed graph takes it, [batch, image tokens, d_model]
     * for the prompt rows {@code ids} (placeholders expanded): row b's features are those of its images in order.
     */
    NamedTensor imageFeatures(ModelManifest manifest, NamedTensor visionFeatures, long[][] ids);
}
