package org.vlmscope.runtime.family;

import java.nio.file.Path;
import org.vlmscope.core.ModelManifest;
import org.vlmscope.runtime.image.ClipImageProcessor;
import org.vlmscope.runtime.image.ImageProcessor;
import org.vlmscope.runtime.text.PromptTemplate;
import org.vlmscope.runtime.text.PromptTemplates;
import org.vlmscope.runtime.text.PromptTemplates.Fidelity;
import org.vlmscope.runtime.text.PromptTemplates.Variant;

/** LLaVA: CLIPImageProcessor, the LLaVA prompt templates, Llama's sequential positions. */
final class LlavaRuntime implements RuntimeFamily {
    static final String ID = "llava";
    private static final PositionIds POSITIONS = new SequentialPositions();

    @Override
    public String id() {
        return ID;
    }

    @Override
    public ImageProcessor imageProcessor(Path modelDir) {
        return ClipImageProcessor.fromConfig(modelDir.resolve(ClipImageProcessor.CONFIG_FILE));
    }

    @Override
    public PromptTemplate promptTemplate(ModelManifest manifest, Variant variant, Fidelity fidelity) {
        return PromptTemplates.forModel(manifest, variant, fidelity);
    }

    @Override
    public PositionIds positionIds() {
        return POSITIONS;
    }
}
