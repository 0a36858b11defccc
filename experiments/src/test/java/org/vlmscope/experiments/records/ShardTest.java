package org.vlmscope.experiments.records;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import java.util.OptionalInt;
import org.junit.jupiter.api.Test;
import org.vlmscope.core.BadArgumentException;

class ShardTest {
    @Test
    void explicitShards() {
        assertEquals(new Shard(2, 5), Shard.parse("2/5", Map.of()));
        assertThrows(BadArgumentException.class, () -> Shard.parse("5/5", Map.of()));
        assertThrows(BadArgumentException.class, () -> Shard.parse("2", Map.of()));
        assertThrows(BadArgumentException.class, () -> Shard.parse("a/5", Map.of()));
        assertThrows(BadArgumentException.class, () -> Shard.parse("1/2/3", Map.of()));
    }

    @Test
    void slurmArrayJobsCountFromTheirFirstIndex() {
        assertEquals(new Shard(3, 4), Shard.parse("auto",
                Map.of("SLURM_ARRAY_TASK_ID", "3", "SLURM_ARRAY_TASK_COUNT", "4")));
        assertEquals(new Shard(0, 8), Shard.parse("auto",
                Map.of("SLURM_ARRAY_TASK_ID", "1", "SLURM_ARRAY_TASK_MIN", "1", "SLURM_ARRAY_TASK_COUNT", "8")));
        BadArgumentException e = assertThrows(BadArgumentException.class, () -> Shard.parse("auto/3",
                Map.of("SLURM_ARRAY_TASK_ID", "1", "SLURM_ARRAY_TASK_COUNT", "4")));
        assertTrue(e.getMessage().contains("SLURM_ARRAY_TASK_COUNT is 4"), e.getMessage());
    }

    @Test
    void kubernetesIndexedJobsNeedTheCountOnTheCommandLine() {
        assertEquals(new Shard(2, 3), Shard.parse("auto/3", Map.of("JOB_COMPLETION_INDEX", "2")));
        BadArgumentException e = assertThrows(BadArgumentException.class,
                () -> Shard.parse("auto", Map.of("JOB_COMPLETION_INDEX", "2")));
        assertTrue(e.getMessage().contains("auto/N"), e.getMessage());
        e = assertThrows(BadArgumentException.class, () -> Shard.parse("auto", Map.of()));
        assertTrue(e.getMessage().contains("neither SLURM_ARRAY_TASK_ID"), e.getMessage());
    }

    @Test
    void theLimitIsTakenBeforeShardingSoShardsOfALimitedRunCoverIt() {
        List<String> data = List.of("a", "b", "c", "d", "e", "f", "g");
        var first = new WorkSelection(new Shard(0, 2), OptionalInt.of(5)).select(data);
        var second = new WorkSelection(new Shard(1, 2), OptionalInt.of(5)).select(data);
        assertEquals(List.of(new WorkUnit<>(0, "a"), new WorkUnit<>(2, "c"), new WorkUnit<>(4, "e")), first);
        assertEquals(List.of(new WorkUnit<>(1, "b"), new WorkUnit<>(3, "d")), second);
    }
}
