package org.vlmscope.experiments.records;

import java.util.ArrayList;
import java.util.List;
import java.util.OptionalInt;

/**
 * Which dataset items a run covers: the first {@code limit} items (all if absent), and of those the ones in
 * {@code shard}. The limit is applied before sharding, so the shards of a limited run together cover exactly
 * the limited run.
 */
public record WorkSelection(Shard shard, OptionalInt limit) {
    public static final WorkSelection ALL = new WorkSelection(Shard.ALL, OptionalInt.empty());

    public WorkSelection {
        if (limit.isPresent() && limit.getAsInt() < 0) {
            throw new IllegalArgumentException("--limit must not be negative, got " + limit.getAsInt());
        }
    }

    public <T> List<WorkUnit<T>> select(List<T> dataset) {
        int end = Math.min(dataset.size(), limit.orElse(Integer.MAX_VALUE));
        List<WorkUnit<T>> units = new ArrayList<>();
        for (int position = 0; position < end; position++) {
            if (shard.contains(position)) {
                units.add(new WorkUnit<>(position, dataset.get(position)));
            }
        }
        return units;
    }
}
