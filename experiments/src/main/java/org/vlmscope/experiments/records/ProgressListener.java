package org.vlmscope.experiments.records;

/** Receives a run's {@link Progress} after each unit of work; the CLI renders it (a bar on a terminal). */
@FunctionalInterface
public interface ProgressListener {
    ProgressListener NONE = progress -> { };

    void progress(Progress progress);
}
