package org.vlmscope.experiments;

/**
 * Where long library work reports how far it is; the CLI renders it (a bar on a terminal, lines otherwise).
 * Library code never prints. Calls come from the working thread, often: a listener throttles its own output.
 * The first report of a task says where it starts: a resumed run reports the units already done, so a renderer
 * counts its rate and ETA from there.
 */
@FunctionalInterface
public interface ProgressListener {
    /** Ignores every report. */
    ProgressListener NONE = (task, done, total) -> {
    };

    /**
     * {@code done} of {@code total} units of {@code task} (a short phrase such as "reading annotations") are
     * finished; {@code done == total} when the task ends.
     */
    void report(String task, long done, long total);
}
