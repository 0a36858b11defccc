package org.vlmscope.experiments.records;

import com.fasterxml.jackson.annotation.JsonSubTypes;
import com.fasterxml.jackson.annotation.JsonTypeInfo;

/**
 * One unit of an experiment's results: one line of {@code records.jsonl}. The {@code kind} property names the
 * record type; {@link #key()} identifies the unit of work, so a resumed run skips it and merging shards can
 * tell a repeated record from a conflicting one.
 */
@JsonTypeInfo(use = JsonTypeInfo.Id.NAME, property = "kind")
@JsonSubTypes({
        @JsonSubTypes.Type(value = AblationRecord.class, name = AblationRecord.KIND),
        @JsonSubTypes.Type(value = FilterRecord.class, name = FilterRecord.KIND),
        @JsonSubTypes.Type(value = KnockoutRecord.class, name = KnockoutRecord.KIND),
        @JsonSubTypes.Type(value = LensRecord.class, name = LensRecord.KIND)})
public sealed interface ExperimentRecord permits AblationRecord, FilterRecord, KnockoutRecord, LensRecord {
    /** The image (dataset id) this record is about. */
    String imageId();

    /** Unique within a run: the record type and the coordinates of its unit of work. */
    String key();

    /** Joins key parts with a separator that dataset ids, task, set and scenario names do not contain. */
    static String key(String kind, String... parts) {
        return kind + "|" + String.join("|", parts);
    }
}
