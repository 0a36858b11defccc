package org.vlmscope.runtime.family;

import java.nio.file.Path;
import org.vlmscope.core.ModelManifest;
import org.vlmscope.runtime.image.ImageProcessor;
import org.vlmscope.runtime.text.PromptTemplate;
import org.vlmscope.runtime.text.PromptTemplates.Fidelity;
import org.vlmscope.runtime.text.PromptTemplates.Variant;

/**
 * What running a model needs from its family, chosen by vlmscope.json's {@code family} (the exporter's
 * ExportFamily wrote it): the image processor, the prompt template and the position ids. The graphs' inputs and
 * outputs are the same for every family (core.vocab.GraphNames); what differs lives behind this interface.
 */
public interface RuntimeFamily {
    /** The family's name, as vlmscope.json records it. */
    String id();

    /** The image preprocessing of the model in {@code modelDir} (its preprocessor_config.json). */
    ImageProcessor imageProcessor(Path modelDir);

    /** The prompt a question is rendered into, in {@code variant} and {@code fidelity}. */
    PromptTemplate promptTemplate(ModelManifest manifest, Variant variant, Fidelity fidelity);

    PositionIds positionIds();
}
