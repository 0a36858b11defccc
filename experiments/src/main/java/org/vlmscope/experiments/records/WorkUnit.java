package org.vlmscope.experiments.records;

/** A dataset item to process and its position in the dataset (what shards are cut by). */
public record WorkUnit<T>(int position, T item) {
}
