package org.vlmscope.experiments.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.vlmscope.experiments.records.AblationRecord;
import org.vlmscope.experiments.records.Answer;
import org.vlmscope.experiments.records.ExperimentRecord;
import org.vlmscope.experiments.records.FilterRecord;

class Table1Test {
    private static final Answer ANY = new Answer("x", List.of(1L));

    static AblationRecord ablation(String image, String task, String set, int n, boolean base, boolean after) {
        List<Integer> positions = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            positions.add(i);
        }
        return new AblationRecord(image, "dog", task, set, n, positions, base, after, ANY, ANY);
    }

    static FilterRecord filter(String image, boolean cleanMentions, boolean maskedMentions) {
        return new FilterRecord(image, "dog", ANY, ANY, cleanMentions, maskedMentions, ANY, ANY);
    }

    /**
     * Images A, B, D pass the filter, C fails it (the masked description still names the object), E has no
     * filter record. Generative/object: A true->false, B true->true, C true->false, D false, E true->false.
     * VQA/object: A true->false, C true->false, E true->true.
     */
    private static List<ExperimentRecord> records() {
        return List.of(filter("A", true, false), filter("B", true, false), filter("C", true, true),
                filter("D", true, false),
                ablation("A", "generative", "object", 4, true, false),
                ablation("B", "generative", "object", 6, true, true),
                ablation("C", "generative", "object", 10, true, false),
                ablation("D", "generative", "object", 2, false, false),
                ablation("E", "generative", "object", 8, true, false),
                ablation("A", "vqa", "object", 4, true, false),
                ablation("C", "vqa", "object", 10, true, false),
                ablation("E", "vqa", "object", 8, true, true),
                ablation("A", "vqa", "random-10", 10, true, true),
                ablation("A", "vqa", "ig-5", 5, true, true),
                ablation("A", "vqa", "register", 3, true, true),
                ablation("A", "vqa", "object+1", 12, true, false),
                ablation("A", "vqa", "random-5", 5, true, true));
    }

    @Test
    void theFilterGatesGenerativeAndPollingButNotVqa() {
        Table1 t = Table1.compute(records(), true);
        Table1.Row object = t.rows().get(0);
        assertEquals("object", object.set());
        // generative: A and B correct at baseline and pass; A becomes incorrect.
        assertEquals(new Table1.Cell(2, 1), object.cells().get("generative"));
        assertEquals(50.0, object.cells().get("generative").percent(), 1e-12);
        // Wilson 95% for 1/2 is 0.0945 to 0.9055.
        assertEquals(9.45, object.cells().get("generative").percentCi95().lower(), 0.005);
        assertEquals(90.55, object.cells().get("generative").percentCi95().upper(), 0.005);
        // vqa: A, C, E all count; A and C become incorrect.
        assertEquals(new Table1.Cell(3, 2), object.cells().get("vqa"));
        assertEquals(200.0 / 3, object.cells().get("vqa").percent(), 1e-12);
        // tokens over the images counted in any column: A 4, B 6, D 2 (generative), C 10, E 8 (vqa).
        assertEquals(6.0, object.meanTokens(), 1e-12);
        assertEquals(3, t.imagesPassingFilter());
        assertEquals(1, t.imagesFailingFilter());
        assertEquals(1, t.imagesWithoutFilterRecord());
    }

    @Test
    void withoutTheFilterEveryImageCounts() {
        Table1 t = Table1.compute(records(), false);
        // A, B, C, E correct at baseline; A, C, E become incorrect.
        assertEquals(new Table1.Cell(4, 3), t.rows().get(0).cells().get("generative"));
        assertEquals(75.0, t.rows().get(0).cells().get("generative").percent(), 1e-12);
    }

    @Test
    void rowsFollowThePapersOrderAndEveryRowHasEveryTask() {
        Table1 t = Table1.compute(records(), true);
        assertEquals(List.of("object", "object+1", "register", "ig-5", "random-5", "random-10"),
                t.rows().stream().map(Table1.Row::set).toList());
        assertEquals(List.of("+ 1 Buffer", "Int. Gradients (5)", "Random (10)"),
                List.of(t.rows().get(1).label(), t.rows().get(3).label(), t.rows().get(5).label()));
        assertEquals(List.of("generative", "vqa"), t.tasks());
        assertEquals(new Table1.Cell(0, 0), t.rows().get(1).cells().get("generative"));
        assertEquals(Double.NaN, t.rows().get(1).cells().get("generative").percent());
    }
}
