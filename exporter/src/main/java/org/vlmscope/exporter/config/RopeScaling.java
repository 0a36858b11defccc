package org.vlmscope.exporter.config;

import java.util.List;

/**
 * A text model's {@code rope_scaling}. Absent, null or {@code {"rope_type": "default"}} all mean
 * plain rotary embeddings, represented as no RopeScaling at all (null).
 *
 * @param type {@code linear}, {@code dynamic} or {@code llama3}; Hugging Face reads the key {@code type}
 *     in preference to {@code rope_type}
 * @param factor the scaling factor (all types)
 * @param lowFreqFactor llama3 only; NaN for the other types
 * @param highFreqFactor llama3 only; NaN for the other types
 * @param originalMaxPositionEmbeddings the pre-scaling context length: the rope_scaling key of that name
 *     (required for llama3), else the text model's {@code max_position_embeddings}, which is what
 *     transformers 4.45 uses for dynamic scaling
 */
public record RopeScaling(String type, double factor, double lowFreqFactor, double highFreqFactor,
                          int originalMaxPositionEmbeddings) {

    /** Every rope type that config parsing accepts; {@code default} is normalised away to null. */
    public static final List<String> SUPPORTED_TYPES = List.of("default", "linear", "dynamic", "llama3");
}
