package org.vlmscope.exporter.config;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.List;
import org.vlmscope.core.VlmscopeException;

/**
 * Typed reads of one JSON object of a config.json, each falling back to a default when the key is
 * absent. Errors name the file and the key's path, e.g. {@code .../config.json: text_config.hidden_size}.
 */
final class JsonFields {
    private final JsonNode object;
    /** "FILE: " plus the dotted path of this object, ending in a dot when not the root. */
    private final String where;

    JsonFields(JsonNode object, String where) {
        this.object = object;
        this.where = where;
    }

    boolean has(String key) {
        return object.has(key);
    }

    /** Present with a value other than null. */
    boolean hasValue(String key) {
        JsonNode value = object.get(key);
        return value != null && !value.isNull();
    }

    String path(String key) {
        return where + key;
    }

    VlmscopeException error(String key, String expectation) {
        return new VlmscopeException(where + key + " " + expectation + ", found " + object.get(key));
    }

    int intOr(String key, int defaultValue) {
        JsonNode value = object.get(key);
        if (value == null) {
            return defaultValue;
        }
        if (!value.isIntegralNumber() || !value.canConvertToInt()) {
            throw error(key, "must be an integer");
        }
        return value.intValue();
    }

    int positiveIntOr(String key, int defaultValue) {
        int value = intOr(key, defaultValue);
        if (value <= 0) {
            throw new VlmscopeException(where + key + " must be positive, found " + value);
        }
        return value;
    }

    /** Absent gives the default; an explicit null gives null. */
    Integer nullableIntOr(String key, Integer defaultValue) {
        JsonNode value = object.get(key);
        if (value == null) {
            return defaultValue;
        }
        if (value.isNull()) {
            return null;
        }
        return intOr(key, 0);
    }

    /** Absent gives the default; an explicit null gives null; a value must be positive. */
    Integer positiveOrNullOr(String key, Integer defaultValue) {
        Integer value = nullableIntOr(key, defaultValue);
        if (value != null && value <= 0) {
            throw new VlmscopeException(where + key + " must be positive or null, found " + value);
        }
        return value;
    }

    double doubleOr(String key, double defaultValue) {
        JsonNode value = object.get(key);
        if (value == null) {
            return defaultValue;
        }
        if (!value.isNumber()) {
            throw error(key, "must be a number");
        }
        return value.doubleValue();
    }

    double positiveDoubleOr(String key, double defaultValue) {
        double value = doubleOr(key, defaultValue);
        if (!(value > 0) || Double.isInfinite(value)) {
            throw new VlmscopeException(where + key + " must be a positive number, found " + value);
        }
        return value;
    }

    boolean boolOr(String key, boolean defaultValue) {
        JsonNode value = object.get(key);
        if (value == null) {
            return defaultValue;
        }
        if (!value.isBoolean()) {
            throw error(key, "must be true or false");
        }
        return value.booleanValue();
    }

    String stringOr(String key, String defaultValue) {
        JsonNode value = object.get(key);
        if (value == null) {
            return defaultValue;
        }
        if (!value.isTextual()) {
            throw error(key, "must be a string");
        }
        return value.textValue();
    }

    /** An int or a list of ints; absent gives the default, null gives an empty list. */
    List<Integer> intOrIntListOr(String key, List<Integer> defaultValue) {
        JsonNode value = object.get(key);
        if (value == null) {
            return defaultValue;
        }
        if (value.isNull()) {
            return List.of();
        }
        if (value.isIntegralNumber() && value.canConvertToInt()) {
            return List.of(value.intValue());
        }
        if (!value.isArray() || value.isEmpty()) {
            throw error(key, "must be an integer or a non-empty list of integers");
        }
        List<Integer> values = new ArrayList<>();
        for (JsonNode element : value) {
            if (!element.isIntegralNumber() || !element.canConvertToInt()) {
                throw error(key, "must be an integer or a non-empty list of integers");
            }
            values.add(element.intValue());
        }
        return List.copyOf(values);
    }

    /** A list of strings; absent or null gives an empty list. */
    List<String> stringList(String key) {
        JsonNode value = object.get(key);
        if (value == null || value.isNull()) {
            return List.of();
        }
        if (!value.isArray()) {
            throw error(key, "must be a list of strings");
        }
        List<String> values = new ArrayList<>();
        for (JsonNode element : value) {
            if (!element.isTextual()) {
                throw error(key, "must be a list of strings");
            }
            values.add(element.textValue());
        }
        return List.copyOf(values);
    }

    /** The nested object under key, or null when absent or null. */
    JsonFields objectOrNull(String key) {
        JsonNode value = object.get(key);
        if (value == null || value.isNull()) {
            return null;
        }
        if (!value.isObject()) {
            throw error(key, "must be a JSON object");
        }
        return new JsonFields(value, where + key + ".");
    }
}
