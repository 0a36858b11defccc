package org.vlmscope.experiments.records;

import java.io.Closeable;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.function.Function;
import org.vlmscope.core.VlmscopeException;

/**
 * A results folder opened by the run that fills it: what an experiment runner calls.
 *
 * <pre>{@code
 * try (ExperimentRun run = ExperimentRun.open(resultsDir, manifest)) {
 *     ExperimentRun.Plan<Item> plan = run.plan(dataset, selection, item -> keysOf(item));
 *     int done = plan.resumed();
 *     progress.report("ablation", done, plan.selected().size());   // where a resumed run starts
 *     for (WorkUnit<Item> unit : plan.remaining()) {
 *         for (each record r the item yields whose key is not run.isDone(r.key())) run.append(r);
 *         progress.report("ablation", ++done, plan.selected().size());
 *     }
 * }
 * }</pre>
 *
 * Opening writes {@code run.json} or, if the folder has one, refuses a run whose identity differs (naming what
 * differs); it takes an exclusive lock so two processes never append to one folder; and it reads the records
 * already there, cutting off a torn last line, so their keys count as done.
 */
public final class ExperimentRun implements Closeable {
    static final String LOCK_FILE = ".lock";

    /** The units a run covers ({@code selected}) and those of them with records still missing. */
    public record Plan<T>(List<WorkUnit<T>> selected, List<WorkUnit<T>> remaining) {
        public int resumed() {
            return selected.size() - remaining.size();
        }
    }

    private final Path directory;
    private final RunManifest manifest;
    private final FileChannel lockChannel;
    private final RecordLog log;
    private final Set<String> doneKeys;
    private final boolean tornTailDropped;

    private ExperimentRun(Path directory, RunManifest manifest, FileChannel lockChannel, RecordLog log,
            Set<String> doneKeys, boolean tornTailDropped) {
        this.directory = directory;
        this.manifest = manifest;
        this.lockChannel = lockChannel;
        this.log = log;
        this.doneKeys = doneKeys;
        this.tornTailDropped = tornTailDropped;
    }

    public static ExperimentRun open(Path directory, RunManifest manifest) throws IOException {
        Files.createDirectories(directory);
        FileChannel lockChannel = FileChannel.open(directory.resolve(LOCK_FILE),
                StandardOpenOption.CREATE, StandardOpenOption.WRITE);
        try {
            lock(directory, lockChannel);
            RunManifest kept = writeOrCheckManifest(directory, manifest);
            Set<String> keys = new HashSet<>();
            Path records = directory.resolve(RecordLog.FILE);
            RecordLog.Scan scan = RecordLog.scan(records, record -> {
                if (!keys.add(record.key())) {
                    throw new VlmscopeException(records + ": the record " + record.key()
                            + " appears twice; this file was not written by one vlmscope run");
                }
            });
            RecordLog log = RecordLog.openForAppend(records, scan);
            return new ExperimentRun(directory, kept, lockChannel, log, keys, scan.tornTail());
        } catch (IOException | RuntimeException e) {
            lockChannel.close();
            throw e;
        }
    }

    private static void lock(Path directory, FileChannel channel) throws IOException {
        FileLock lock;
        try {
            lock = channel.tryLock();
        } catch (OverlappingFileLockException e) {
            lock = null;
        }
        if (lock == null) {
            throw new VlmscopeException(directory + ": another vlmscope run is writing to this results folder "
                    + "(it holds " + LOCK_FILE + "); give each shard a folder of its own");
        }
    }

    private static RunManifest writeOrCheckManifest(Path directory, RunManifest manifest) throws IOException {
        Path file = directory.resolve(RunManifest.FILE);
        if (!Files.exists(file)) {
            Path records = directory.resolve(RecordLog.FILE);
            if (Files.exists(records) && Files.size(records) > 0) {
                throw new VlmscopeException(directory + " has " + RecordLog.FILE + " but no " + RunManifest.FILE
                        + ": which run wrote those records is unknown, so this run will not add to them");
            }
            AtomicFiles.write(file, RecordJson.FILES.writeValueAsBytes(manifest));
            return manifest;
        }
        RunManifest existing = ResultsFolder.readManifest(file);
        List<String> differences = existing.identityDifferences(manifest);
        if (!differences.isEmpty()) {
            throw new VlmscopeException(directory + " holds the results of a different run; resuming needs the "
                    + "same settings (run.json vs this command): " + String.join("; ", differences)
                    + ". Use another results folder for these settings.");
        }
        return existing;
    }

    /** The selected units of {@code dataset} and those of them for which some key of {@code keysOf} is not done. */
    public <T> Plan<T> plan(List<T> dataset, WorkSelection selection, Function<T, List<String>> keysOf) {
        List<WorkUnit<T>> selected = selection.select(dataset);
        List<WorkUnit<T>> remaining = new ArrayList<>();
        for (WorkUnit<T> unit : selected) {
            if (!doneKeys.containsAll(keysOf.apply(unit.item()))) {
                remaining.add(unit);
            }
        }
        return new Plan<>(selected, remaining);
    }

    public boolean isDone(String key) {
        return doneKeys.contains(key);
    }

    public int doneCount() {
        return doneKeys.size();
    }

    /** Whether opening cut off the torn last line a killed run left. */
    public boolean tornTailDropped() {
        return tornTailDropped;
    }

    /** Appends a record whose key is not done yet; it is on disk when this returns. */
    public void append(ExperimentRecord record) throws IOException {
        if (doneKeys.contains(record.key())) {
            throw new IllegalStateException("the record " + record.key() + " is already in " + log.file());
        }
        log.append(record);
        doneKeys.add(record.key());
    }

    /** The manifest of the folder (the one already there when resuming). */
    public RunManifest manifest() {
        return manifest;
    }

    public Path directory() {
        return directory;
    }

    @Override
    public void close() throws IOException {
        try {
            log.close();
        } finally {
            lockChannel.close();
        }
    }
}
