package org.vlmscope.models;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import org.vlmscope.core.VlmscopeException;

/**
 * The model organism: a small LLaVA-1.5-architecture model trained on synthetic scenes (models/organism, where
 * its trainer, training log and held-out accuracies are), shipped inside this module's jar as a real Hugging Face
 * checkpoint. It answers the paper's prompts about the scenes that {@code vlmscope scenes} draws.
 */
public final class OrganismCheckpoint {
    /** The checkpoint's files, as the trainer wrote them. */
    public static final List<String> FILES = List.of("config.json", "generation_config.json", "model.safetensors",
            "preprocessor_config.json", "special_tokens_map.json", "tokenizer.json", "tokenizer_config.json");
    /** The seed of the scene set it was trained on; scenes of any other seed are new to it. */
    public static final long TRAINING_SEED = 1;
    /** The seed of the held-out scene set its README's accuracies were measured on. */
    public static final long HELDOUT_SEED = 2;
    private static final String RESOURCE_DIR = "organism/";

    private OrganismCheckpoint() {
    }

    /** Copies the checkpoint's files into {@code dir} (created if needed). */
    public static void write(Path dir) {
        try {
            Files.createDirectories(dir);
            for (String file : FILES) {
                try (InputStream in = OrganismCheckpoint.class.getResourceAsStream(RESOURCE_DIR + file)) {
                    if (in == null) {
                        throw new VlmscopeException("the model organism's " + file + " is missing from the "
                                + "vlmscope-models jar; rebuild it from a checkout that has models/organism/checkpoint");
                    }
                    Files.copy(in, dir.resolve(file), StandardCopyOption.REPLACE_EXISTING);
                }
            }
        } catch (IOException e) {
            throw new VlmscopeException("cannot write the model organism's checkpoint to " + dir + ": "
                    + e.getMessage(), e);
        }
    }
}
