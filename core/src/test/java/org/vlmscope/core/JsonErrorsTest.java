package org.vlmscope.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.List;
import java.util.Objects;
import org.junit.jupiter.api.Test;

/** Fuzzing finding: JSON errors showed parser internals such as {@code java.util.ArrayList<java.lang.Long>}. */
class JsonErrorsTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    record Tokens(String name, List<Long> ids) {
        Tokens {
            Objects.requireNonNull(name, "name");
            if (ids != null && ids.isEmpty()) {
                throw new IllegalArgumentException("ids must not be empty");
            }
        }
    }

    private static String described(String json) {
        JsonProcessingException e = assertThrows(JsonProcessingException.class, () -> JSON.readValue(json,
                Tokens.class));
        String d = JsonErrors.describe(e);
        assertFalse(d.contains("java.") || d.contains("Source:") || d.contains("\n") || d.contains("`"), d);
        return d;
    }

    @Test
    void aValueOfTheWrongTypeIsNamedByItsFieldWithoutJavaTypes() {
        assertEquals("ids: a missing value or a value of the wrong type (found a string)",
                described("{\"name\": \"a\", \"ids\": \"two\"}"));
        assertTrue(described("{\"name\": \"a\", \"ids\": [1, {}]}").startsWith("ids[1]: "));
    }

    @Test
    void aValueItsConstructorRefusesSaysWhy() {
        assertEquals("name is missing", described("{\"ids\": [1]}"));
        assertEquals("ids must not be empty", described("{\"name\": \"a\", \"ids\": []}"));
    }

    @Test
    void brokenSyntaxIsOneLineWithItsPosition() {
        String d = described("{\"name\": \"a\",\n \"ids\": [1, 2");
        assertTrue(d.contains("line 2"), d);
        VlmscopeException e = JsonErrors.notJson("f.json", assertThrows(JsonProcessingException.class,
                () -> JSON.readTree("[1, 2")));
        assertTrue(e.getMessage().startsWith("f.json is not valid JSON: Unexpected end-of-input"), e.getMessage());
        assertTrue(e.getMessage().contains("(opened at line 1, column 1)"), e.getMessage());
    }
}
