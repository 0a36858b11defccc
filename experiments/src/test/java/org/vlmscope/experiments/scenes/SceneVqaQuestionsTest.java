package org.vlmscope.experiments.scenes;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.vlmscope.core.VlmscopeException;

class SceneVqaQuestionsTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path tmp;

    /**
     * Scene 1's target is its star: of its three questions the two answered "star" are kept. Scene 2 was rejected
     * by the dataset and scene 3's questions are about another shape than its target: neither appears.
     */
    @Test
    void keepsTheQuestionsWhoseAnswerIsTheTarget() throws IOException {
        Path questions = tmp.resolve("questions.json");
        Files.writeString(questions, """
                {"images": [
                  {"image_id": 1, "vqa": [{"question": "Which shape is red?", "answer": "star"},
                                          {"question": "What shape is on the left?", "answer": "moon"},
                                          {"question": "What shape is at the top?", "answer": "star"}]},
                  {"image_id": 2, "vqa": [{"question": "Which shape is blue?", "answer": "heart"}]},
                  {"image_id": 3, "vqa": [{"question": "Which shape is green?", "answer": "cross"}]}
                ]}""");
        Path dataset = tmp.resolve("dataset.jsonl");
        Files.write(dataset, List.of(
                "{\"image_id\":1,\"file\":\"a.png\",\"width\":8,\"height\":8,\"kept\":true,\"object\":\"star\",\"grid\":2}",
                "{\"image_id\":2,\"file\":\"b.png\",\"width\":8,\"height\":8,\"kept\":false,\"why\":\"none\",\"grid\":2}",
                "{\"image_id\":3,\"file\":\"c.png\",\"width\":8,\"height\":8,\"kept\":true,\"object\":\"circle\",\"grid\":2}"));
        Path out = tmp.resolve("clean_questions.json");

        SceneVqaQuestions.Summary s = SceneVqaQuestions.write(questions, dataset, out);

        assertEquals(new SceneVqaQuestions.Summary(1, 2), s);
        JsonNode written = JSON.readTree(out.toFile());
        assertEquals(List.of("1"), iterable(written));
        assertEquals("Which shape is red?", written.path("1").get(0).asText());
        assertEquals("What shape is at the top?", written.path("1").get(1).asText());
    }

    @Test
    void aFileThatIsNotASceneSetIsNamed() throws IOException {
        Path questions = Files.writeString(tmp.resolve("questions.json"), "{\"1\": [\"Is it?\"]}");
        Path dataset = Files.writeString(tmp.resolve("dataset.jsonl"), "");
        VlmscopeException e = org.junit.jupiter.api.Assertions.assertThrows(VlmscopeException.class,
                () -> SceneVqaQuestions.write(questions, dataset, tmp.resolve("out.json")));
        assertTrue(e.getMessage().contains(questions.toString()) && e.getMessage().contains("\"images\""), e.getMessage());
        assertTrue(Files.notExists(tmp.resolve("out.json")));
    }

    private static List<String> iterable(JsonNode object) {
        List<String> names = new java.util.ArrayList<>();
        object.fieldNames().forEachRemaining(names::add);
        return names;
    }
}
