package org.vlmscope.core;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.exc.InvalidFormatException;
import com.fasterxml.jackson.databind.exc.MismatchedInputException;
import com.fasterxml.jackson.databind.exc.UnrecognizedPropertyException;
import com.fasterxml.jackson.databind.exc.ValueInstantiationException;
import java.io.IOException;
import java.nio.file.Path;

/**
 * One-line messages for JSON that does not parse, or does not fit the expected form. Jackson's own messages span
 * lines and name its internal sources ({@code [Source: REDACTED ...]}) and Java types
 * ({@code java.util.ArrayList<java.lang.Long>}); users need the file, the field, what was expected and where.
 */
public final class JsonErrors {
    private JsonErrors() {
    }

    /** {@code file} as a JSON tree; a file that cannot be read or does not parse is one message naming it. */
    public static JsonNode read(ObjectMapper json, Path file) {
        try {
            return json.readTree(file.toFile());
        } catch (JsonProcessingException e) {
            throw notJson(file, e);
        } catch (IOException e) {
            throw new VlmscopeException("cannot read " + file + ": " + e.getMessage(), e);
        }
    }

    /** {@code bytes}, the content of {@code file}, as a JSON tree; JSON that does not parse is one message naming it. */
    public static JsonNode parse(ObjectMapper json, Path file, byte[] bytes) {
        try {
            return json.readTree(bytes);
        } catch (JsonProcessingException e) {
            throw notJson(file, e);
        } catch (IOException e) {
            throw new VlmscopeException("cannot read " + file + ": " + e.getMessage(), e);
        }
    }

    /** "{@code FILE} is not valid JSON: {@code what} (line L, column C)". */
    public static VlmscopeException notJson(Object file, JsonProcessingException e) {
        return new VlmscopeException(file + " is not valid JSON: " + describe(e), e);
    }

    /**
     * What went wrong, in one line without Java types: for JSON that does not parse, the parser's complaint and
     * where; for JSON that parses but does not fit what was expected (a value of the wrong type, a missing or
     * inconsistent field), the field's path and that.
     */
    public static String describe(JsonProcessingException e) {
        if (e instanceof JsonMappingException m && m.getCause() instanceof JsonProcessingException syntax
                && !(syntax instanceof JsonMappingException)) {
            return describe(syntax); // broken JSON met while binding: the parser's complaint says it best
        }
        if (e instanceof JsonMappingException m) {
            String path = path(m);
            return (path.isEmpty() ? "" : path + ": ") + mismatch(m);
        }
        String what = String.valueOf(e.getOriginalMessage())
                .replaceAll("\\(start marker at \\[Source: [^]]*; line: (\\d+), column: (\\d+)]\\)",
                        "(opened at line $1, column $2)")
                .replaceAll("\\s*\\[Source: [^]]*]", "")
                .replaceAll("\\s+", " ")
                .strip();
        JsonLocation at = e.getLocation();
        return what + (at == null || at.getLineNr() < 1 ? ""
                : " (line " + at.getLineNr() + ", column " + at.getColumnNr() + ")");
    }

    /** The field path of a mapping error, e.g. {@code inputs.dataset.sha256} or {@code positions[2]}. */
    private static String path(JsonMappingException m) {
        StringBuilder out = new StringBuilder();
        for (JsonMappingException.Reference r : m.getPath()) {
            if (r.getFieldName() != null) {
                out.append(out.length() == 0 ? "" : ".").append(r.getFieldName());
            } else if (r.getIndex() >= 0) {
                out.append('[').append(r.getIndex()).append(']');
            }
        }
        return out.toString();
    }

    private static String mismatch(JsonMappingException m) {
        if (m instanceof ValueInstantiationException v) {
            // The value's own constructor refused it: its message says why (IllegalArgumentException), or a
            // required field was absent (NullPointerException naming the field).
            Throwable cause = v.getCause();
            // Only a field name (Objects.requireNonNull(x, "field")), never a JVM text about null receivers.
            if (cause instanceof NullPointerException && cause.getMessage() != null
                    && cause.getMessage().matches("[A-Za-z_]\\w*")) {
                return cause.getMessage() + " is missing";
            }
            if (cause instanceof IllegalArgumentException && cause.getMessage() != null) {
                return cause.getMessage();
            }
            return "a missing or inconsistent value";
        }
        if (m instanceof InvalidFormatException f) {
            return "the value " + f.getValue() + " does not have the expected form";
        }
        if (m instanceof UnrecognizedPropertyException u) {
            return "unknown field '" + u.getPropertyName() + "'";
        }
        if (m instanceof MismatchedInputException) {
            return "a missing value or a value of the wrong type (" + found(m) + ")";
        }
        return "a value that does not fit";
    }

    /** What the parser stood on, in JSON's words. */
    private static String found(JsonMappingException m) {
        String text = String.valueOf(m.getOriginalMessage());
        return text.contains("START_OBJECT") ? "found an object" : text.contains("START_ARRAY") ? "found a list"
                : text.contains("VALUE_STRING") || text.contains("String value") ? "found a string"
                : text.contains("VALUE_NUMBER") || text.contains("Integer value") || text.contains("Floating-point")
                ? "found a number" : text.contains("VALUE_TRUE") || text.contains("VALUE_FALSE")
                || text.contains("Boolean value") ? "found true or false"
                : text.contains("VALUE_NULL") || text.contains("null") ? "found null"
                : text.contains("Missing") || text.contains("missing") ? "absent" : "found something else";
    }
}
