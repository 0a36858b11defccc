package org.vlmscope.experiments.scenes;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import org.vlmscope.core.JsonErrors;
import org.vlmscope.core.VlmscopeException;
import org.vlmscope.experiments.dataset.DatasetFile;
import org.vlmscope.experiments.dataset.DatasetRecord;
import org.vlmscope.experiments.records.AtomicFiles;

/**
 * A scene set's curated questions in the format of the paper's {@code clean_questions.json} (COCO image id to its
 * questions), so that {@code dataset vqa}, the VQA task and the knockout run on scenes as they do on COCO.
 * {@code dataset vqa} answers every question of an image with the image's target object, so of a scene's VQA
 * questions only those whose answer is its target's shape are kept. They ask about the target alone: a dataset
 * target is the single instance of its category, so no other object of the scene has that shape.
 */
public final class SceneVqaQuestions {
    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    /** What was written: images with at least one question, and questions. */
    public record Summary(int images, int questions) {
    }

    private SceneVqaQuestions() {
    }

    /**
     * Writes the questions of {@code sceneQuestions} ({@link SceneSetWriter#QUESTIONS}) about the targets of the
     * kept images of {@code dataset} to {@code out}.
     */
    public static Summary write(Path sceneQuestions, Path dataset, Path out) {
        Map<Long, JsonNode> scenes = readScenes(sceneQuestions);
        ObjectNode root = JSON.createObjectNode();
        int questions = 0;
        for (DatasetRecord r : DatasetFile.read(dataset)) {
            JsonNode scene = scenes.get(r.imageId());
            if (!r.kept() || scene == null) {
                continue;
            }
            ArrayNode asked = JSON.createArrayNode();
            for (JsonNode vqa : scene.path("vqa")) {
                if (vqa.path("answer").asText().equals(r.object())) {
                    asked.add(vqa.path("question").asText());
                }
            }
            if (!asked.isEmpty()) {
                root.set(Long.toString(r.imageId()), asked);
                questions += asked.size();
            }
        }
        try {
            AtomicFiles.write(out, JSON.writeValueAsBytes(root));
        } catch (IOException e) {
            throw new VlmscopeException("cannot write " + out + ": " + e.getMessage(), e);
        }
        return new Summary(root.size(), questions);
    }

    private static Map<Long, JsonNode> readScenes(Path file) {
        JsonNode root = JsonErrors.read(JSON, file);
        JsonNode images = root == null ? null : root.get("images");
        if (images == null || !images.isArray()) {
            throw new VlmscopeException(file + " is not a scene set's " + SceneSetWriter.QUESTIONS
                    + ": expected an object with an \"images\" array (written by 'vlmscope scenes')");
        }
        Map<Long, JsonNode> byId = new HashMap<>();
        images.forEach(scene -> byId.put(scene.path("image_id").asLong(), scene));
        return byId;
    }
}
