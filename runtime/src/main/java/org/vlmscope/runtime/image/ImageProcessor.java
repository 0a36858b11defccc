package org.vlmscope.runtime.image;

import org.vlmscope.core.SafetensorsWriter.NamedTensor;

/** A model family's image preprocessing: a decoded image to the pixel_values tensor its vision graph takes. */
public interface ImageProcessor {
    NamedTensor pixelValues(RgbImage image);
}
