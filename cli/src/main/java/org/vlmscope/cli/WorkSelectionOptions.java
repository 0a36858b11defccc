package org.vlmscope.cli;

import java.util.OptionalInt;
import org.vlmscope.core.BadArgumentException;
import org.vlmscope.experiments.records.Shard;
import org.vlmscope.experiments.records.WorkSelection;
import picocli.CommandLine.Option;

/** The options of every experiment verb that choose which dataset items a run covers. */
final class WorkSelectionOptions {
    @Option(names = "--shard", paramLabel = "K/N|auto|auto/N",
            description = "Run only the items whose position in the dataset is K mod N. 'auto' reads a Slurm array "
                    + "job's SLURM_ARRAY_TASK_ID and SLURM_ARRAY_TASK_COUNT; 'auto/N' reads the index from Slurm or "
                    + "a Kubernetes Indexed Job's JOB_COMPLETION_INDEX. Give each shard its own results folder.")
    String shard;

    @Option(names = "--limit", paramLabel = "N", description = "Only the first N items of the dataset (before "
            + "sharding).")
    Integer limit;

    WorkSelection selection() {
        Shard s = shard == null ? Shard.ALL : Shard.parse(shard, System.getenv());
        if (limit != null && limit < 0) {
            throw new BadArgumentException("--limit " + limit + ": expected a count >= 0");
        }
        return new WorkSelection(s, limit == null ? OptionalInt.empty() : OptionalInt.of(limit));
    }
}
