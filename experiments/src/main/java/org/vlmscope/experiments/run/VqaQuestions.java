package org.vlmscope.experiments.run;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.vlmscope.core.VlmscopeException;
import org.vlmscope.experiments.dataset.DatasetRecord;
import org.vlmscope.experiments.dataset.JsonLines;
import org.vlmscope.experiments.dataset.VqaSet;

/**
 * The curated questions as the runners use them: one question per image, the first of its list
 * ({@code question_index} 0). That is the paper's protocol: its curated set is 100 images with one specific question
 * each (section 3; {@code clean_questions.json} lists exactly one question for each of them), and its tables count
 * images (EXPERIMENTS.md: % decrease over the images correct at baseline). A question file with several questions
 * per image (a scene set's) is read the same way: the image's first question is asked, the others are not, and
 * run.json says so ({@link #OPTION}).
 */
public final class VqaQuestions {
    /** The run.json option that records which of an image's questions the run asks. */
    public static final String OPTION = "vqa_questions";
    /** Its value: the first question of each image. */
    public static final String FIRST_PER_IMAGE = "first-per-image";

    private VqaQuestions() {
    }

    /** The records of a VQA file written by {@code vlmscope dataset vqa}. */
    public static List<VqaSet.Question> read(Path file) {
        return JsonLines.read(file, VqaSet.Question.class, "a VQA question record (vlmscope dataset vqa)");
    }

    /** The first question of each image in {@code file}, by image id, in file order. */
    public static List<VqaSet.Question> firstPerImage(Path file) {
        Map<Long, VqaSet.Question> first = new LinkedHashMap<>();
        for (VqaSet.Question q : read(file)) {
            if (q.image() == null) {
                throw new VlmscopeException(file + ": the question about image " + q.imageId() + " carries no "
                        + "image record: expected the output of 'vlmscope dataset vqa'");
            }
            first.putIfAbsent(q.imageId(), q);
        }
        return List.copyOf(first.values());
    }

    /**
     * The first question of each image of {@code file}, by image id; a question about an image that is not among
     * {@code kept} (the ablation's dataset) is refused, naming both files.
     */
    public static Map<Long, String> firstPerImage(Path file, List<DatasetRecord> kept, Path dataset) {
        Map<Long, DatasetRecord> byId = new LinkedHashMap<>();
        kept.forEach(r -> byId.put(r.imageId(), r));
        Map<Long, String> out = new LinkedHashMap<>();
        for (VqaSet.Question q : firstPerImage(file)) {
            if (!byId.containsKey(q.imageId())) {
                throw new VlmscopeException(file + ": the question about image " + q.imageId() + " has no kept image "
                        + "in " + dataset + ": expected the VQA set built from that dataset");
            }
            out.put(q.imageId(), q.question());
        }
        return out;
    }
}
