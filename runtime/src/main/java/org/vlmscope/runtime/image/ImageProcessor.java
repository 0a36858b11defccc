package org.vlmscope.runtime.image;

import org.vlmscope.core.SafetensorsWriter.NamedTensor;

/** A model family's image preprocessing: a decoded image to the pixel_values tensor its vision graph takes. */
public interface ImageProcessor {
    /** The file Hugging Face saves an image processor's settings in, beside the model. */
    String CONFIG_FILE = "preprocessor_config.json";

    NamedTensor pixelValues(RgbImage image);

    /**
     * The image as the run takes it: its pixel_values and, for a family whose grid depends on the image, its grid;
     * a fixed-grid family's grid is in the manifest.
     */
    default VisionInput vision(RgbImage image) {
        return VisionInput.of(pixelValues(image));
    }
}
