package org.vlmscope.experiments.dataset;

import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.vlmscope.core.VlmscopeException;

/**
 * The curated visual questions (EXPERIMENTS.md, Dataset step 6): {@code clean_questions.json} maps a COCO image id
 * to its questions; every question of an image the dataset kept becomes one record whose answer is the image's
 * target object. Ids the dataset does not hold, holds as rejected, or that have no question are reported.
 */
public final class VqaSet {
    private static final ObjectMapper JSON = new ObjectMapper();

    private VqaSet() {
    }

    /**
     * One question about a kept image: the question, its position in the image's list, the answer (the target
     * object), and the image's dataset record, so that an experiment needs no other file.
     */
    @JsonPropertyOrder({"image_id", "question_index", "question", "answer", "image"})
    public record Question(
            @JsonProperty("image_id") long imageId,
            @JsonProperty("question_index") int questionIndex,
            @JsonProperty("question") String question,
            @JsonProperty("answer") String answer,
            @JsonProperty("image") DatasetRecord image) {
    }

    /**
     * What the build found: records written, the question ids absent from the dataset, those the dataset rejected
     * (id to reason), and those with an empty question list.
     */
    public record Report(int records, int images, List<Long> notInDataset, Map<Long, String> rejected,
            List<Long> withoutQuestions) {
    }

    /** Writes the question records of {@code questionsFile} about the images of {@code datasetFile} to {@code out}. */
    public static Report build(Path questionsFile, Path datasetFile, Path out) {
        Map<Long, List<String>> questions = readQuestions(questionsFile);
        Map<Long, DatasetRecord> dataset = new LinkedHashMap<>();
        for (DatasetRecord r : DatasetFile.read(datasetFile)) {
            dataset.put(r.imageId(), r);
        }
        List<Long> notInDataset = new ArrayList<>();
        Map<Long, String> rejected = new LinkedHashMap<>();
        List<Long> withoutQuestions = new ArrayList<>();
        for (Map.Entry<Long, List<String>> e : questions.entrySet()) {
            DatasetRecord r = dataset.get(e.getKey());
            if (r == null) {
                notInDataset.add(e.getKey());
            } else if (!r.kept()) {
                rejected.put(e.getKey(), r.why());
            } else if (e.getValue().isEmpty()) {
                withoutQuestions.add(e.getKey());
            }
        }
        int records = 0;
        int images = 0;
        try (JsonLines lines = JsonLines.create(out)) {
            for (DatasetRecord r : dataset.values()) {
                List<String> asked = questions.get(r.imageId());
                if (!r.kept() || asked == null || asked.isEmpty()) {
                    continue;
                }
                images++;
                for (int q = 0; q < asked.size(); q++) {
                    lines.write(new Question(r.imageId(), q, asked.get(q), r.object(), r));
                    records++;
                }
            }
            lines.commit();
        }
        return new Report(records, images, notInDataset, rejected, withoutQuestions);
    }

    /** The questions file: a JSON object from image id (a string of digits) to a list of question strings. */
    static Map<Long, List<String>> readQuestions(Path file) {
        JsonNode root;
        try {
            root = JSON.readTree(file.toFile());
        } catch (java.io.FileNotFoundException | NoSuchFileException e) {
            throw new VlmscopeException(file + " does not exist: expected the questions file (clean_questions.json)");
        } catch (IOException e) {
            throw new VlmscopeException(file + " is not valid JSON: " + e.getMessage(), e);
        }
        if (root == null || !root.isObject()) {
            throw new VlmscopeException(file + " is not a questions file: expected a JSON object from COCO image id "
                    + "to a list of questions");
        }
        Map<Long, List<String>> questions = new LinkedHashMap<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = root.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            long id;
            try {
                id = Long.parseLong(e.getKey());
            } catch (NumberFormatException x) {
                throw new VlmscopeException(file + ": key '" + e.getKey() + "' is not a COCO image id: expected "
                        + "digits");
            }
            JsonNode list = e.getValue();
            List<String> asked = new ArrayList<>();
            if (!list.isArray()) {
                throw new VlmscopeException(file + ": image " + id + " maps to " + list.getNodeType()
                        + ": expected a list of questions");
            }
            for (JsonNode q : list) {
                if (!q.isTextual()) {
                    throw new VlmscopeException(file + ": image " + id + " has a question " + q
                            + " that is not a string");
                }
                asked.add(q.asText());
            }
            questions.put(id, asked);
        }
        return questions;
    }
}
