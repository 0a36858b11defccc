package org.vlmscope.experiments.records;

import java.util.Map;
import org.vlmscope.core.BadArgumentException;

/**
 * Shard {@code index} of {@code count}: the dataset items whose position is {@code index} mod {@code count}, so
 * {@code count} machines that each run one shard cover the dataset once.
 *
 * <p>Written {@code K/N} on the command line, or taken from the scheduler: {@code auto} reads a Slurm array job's
 * {@code SLURM_ARRAY_TASK_ID} and {@code SLURM_ARRAY_TASK_COUNT} (less {@code SLURM_ARRAY_TASK_MIN}, so
 * {@code --array=1-8} works); {@code auto/N} takes the count from the command line and the index from Slurm or
 * from a Kubernetes Indexed Job's {@code JOB_COMPLETION_INDEX}, which comes without a count.
 */
public record Shard(int index, int count) {
    public static final Shard ALL = new Shard(0, 1);

    public Shard {
        if (count < 1 || index < 0 || index >= count) {
            throw new BadArgumentException("shard " + index + "/" + count
                    + ": expected K/N with N >= 1 and 0 <= K < N");
        }
    }

    public boolean contains(int position) {
        return position % count == index;
    }

    @Override
    public String toString() {
        return index + "/" + count;
    }

    /** Parses {@code --shard}: {@code K/N}, {@code auto} or {@code auto/N}, reading {@code env} for the latter. */
    public static Shard parse(String spec, Map<String, String> env) {
        String[] parts = spec.trim().split("/", -1);
        if (parts.length > 2 || parts[0].isEmpty()) {
            throw new BadArgumentException("--shard " + spec + ": expected K/N, auto or auto/N");
        }
        boolean auto = parts[0].equals("auto");
        Integer count = parts.length == 2 ? number("--shard " + spec + " count", parts[1]) : null;
        if (!auto) {
            if (count == null) {
                throw new BadArgumentException("--shard " + spec + ": expected K/N, auto or auto/N");
            }
            return new Shard(number("--shard " + spec + " index", parts[0]), count);
        }
        String slurmId = env.get("SLURM_ARRAY_TASK_ID");
        if (slurmId != null) {
            int min = env.containsKey("SLURM_ARRAY_TASK_MIN")
                    ? number("SLURM_ARRAY_TASK_MIN", env.get("SLURM_ARRAY_TASK_MIN")) : 0;
            String slurmCount = env.get("SLURM_ARRAY_TASK_COUNT");
            int n = slurmCount != null ? number("SLURM_ARRAY_TASK_COUNT", slurmCount) : requireCount(count, spec);
            if (count != null && count != n) {
                throw new BadArgumentException("--shard " + spec + " says " + count
                        + " shards but SLURM_ARRAY_TASK_COUNT is " + n);
            }
            return new Shard(number("SLURM_ARRAY_TASK_ID", slurmId) - min, n);
        }
        String k8sIndex = env.get("JOB_COMPLETION_INDEX");
        if (k8sIndex != null) {
            return new Shard(number("JOB_COMPLETION_INDEX", k8sIndex), requireCount(count, spec));
        }
        throw new BadArgumentException("--shard " + spec + ": neither SLURM_ARRAY_TASK_ID (Slurm array job) nor "
                + "JOB_COMPLETION_INDEX (Kubernetes Indexed Job) is set; give the shard as K/N");
    }

    private static int requireCount(Integer count, String spec) {
        if (count == null) {
            throw new BadArgumentException("--shard " + spec + ": the scheduler gives the shard index but not the "
                    + "number of shards; write --shard auto/N with N the job's completions");
        }
        return count;
    }

    private static int number(String what, String text) {
        try {
            return Integer.parseInt(text.trim());
        } catch (NumberFormatException e) {
            throw new BadArgumentException(what + ": expected a whole number, got '" + text + "'");
        }
    }
}
