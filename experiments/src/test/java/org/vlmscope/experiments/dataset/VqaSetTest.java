package org.vlmscope.experiments.dataset;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.vlmscope.core.VlmscopeException;
import org.vlmscope.experiments.ProgressListener;
import org.vlmscope.experiments.dataset.geometry.TokenGrid;
import org.vlmscope.runtime.text.PromptTemplates.Fidelity;

class VqaSetTest {
    @TempDir
    Path dir;

    @Test
    void questionsOfKeptImagesBecomeRecordsAndTheRestIsReported() throws IOException {
        CocoJson coco = new CocoJson().category(1, "person").category(2, "dog");
        coco.image(1, 40, 40).image(2, 40, 40).image(3, 40, 40);
        coco.polygons(1, 2, 1500, CocoJson.square(0, 0, 10, 10));
        coco.polygons(2, 2, 500, CocoJson.square(0, 0, 10, 10));
        coco.polygons(3, 1, 1500, CocoJson.square(0, 0, 10, 10));
        Path dataset = dir.resolve("d.jsonl");
        CocoDataset.build(coco.write(dir.resolve("i.json")), new CocoDataset.Options(CocoFilter.ABLATION,
                new ImageGeometry(new TokenGrid(4)), Fidelity.CODE, null), dataset, ProgressListener.NONE);
        Path questions = Files.writeString(dir.resolve("q.json"), "{\"1\": [\"What animal is this?\", "
                + "\"What is it?\"], \"2\": [\"Is it?\"], \"3\": [], \"77\": [\"Where?\"]}");
        Path out = dir.resolve("vqa.jsonl");
        VqaSet.Report report = VqaSet.build(questions, dataset, out);
        assertEquals(2, report.records());
        assertEquals(1, report.images());
        assertEquals(List.of(77L), report.notInDataset());
        assertEquals(Map.of(2L, CocoFilter.NO_TARGET), report.rejected());
        assertEquals(List.of(3L), report.withoutQuestions());
        List<VqaSet.Question> records = JsonLines.read(out, VqaSet.Question.class, "a question");
        assertEquals("What is it?", records.get(1).question());
        assertEquals(1, records.get(1).questionIndex());
        assertEquals("dog", records.get(0).answer());
        assertArrayEquals(new int[] {0}, records.get(0).image().objectCells());
        assertEquals(4, records.get(0).image().grid());
    }

    @Test
    void malformedQuestionsFile() throws IOException {
        Path bad = Files.writeString(dir.resolve("q.json"), "{\"abc\": []}");
        VlmscopeException e = assertThrows(VlmscopeException.class, () -> VqaSet.readQuestions(bad));
        assertTrue(e.getMessage().contains("'abc' is not a COCO image id"), e.getMessage());
        Path notList = Files.writeString(dir.resolve("r.json"), "{\"5\": \"why?\"}");
        e = assertThrows(VlmscopeException.class, () -> VqaSet.readQuestions(notList));
        assertTrue(e.getMessage().contains("image 5"), e.getMessage());
    }

    @Test
    void theCuratedFileReadsAsThePaperDescribes() {
        Map<Long, List<String>> q = VqaSet.readQuestions(Path.of("../testdata/data/clean_questions.json"));
        assertEquals(4318, q.size());
        assertEquals(100, q.values().stream().filter(l -> l.size() == 1).count());
    }
}
