package org.vlmscope.experiments.records;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.json.JsonMapper;

/**
 * The JSON form of results: snake_case names ({@code n_tokens}, {@code p_before}), every field present (a
 * record missing one is refused rather than read as zero), and maps written in key order so equal values are
 * equal text.
 */
public final class RecordJson {
    /** One record per line: no indentation. */
    public static final ObjectMapper LINES = JsonMapper.builder()
            .propertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE)
            .enable(DeserializationFeature.FAIL_ON_MISSING_CREATOR_PROPERTIES)
            .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES)
            .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
            .enable(SerializationFeature.ORDER_MAP_ENTRIES_BY_KEYS)
            .build();

    /** Files a person reads ({@code run.json}, sidecars): indented. */
    public static final ObjectMapper FILES = LINES.copy().enable(SerializationFeature.INDENT_OUTPUT);

    private RecordJson() {
    }

    /** The record as one line of JSON, without the line break. */
    public static String line(ExperimentRecord record) {
        try {
            return LINES.writerFor(ExperimentRecord.class).writeValueAsString(record);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("a record could not be written as JSON: " + record, e);
        }
    }

    /** Parses one line; throws {@link JsonProcessingException} (or IllegalArgumentException) if it is not one. */
    public static ExperimentRecord parse(String line) throws JsonProcessingException {
        return LINES.readValue(line, ExperimentRecord.class);
    }
}
