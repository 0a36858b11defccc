package org.vlmscope.experiments.records;

import com.fasterxml.jackson.core.JsonProcessingException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;
import org.vlmscope.core.JsonErrors;
import org.vlmscope.core.VlmscopeException;

/**
 * A results folder read without writing to it (what the report reads): its manifest and its records. A torn
 * last line (a run killed, or still running) is left out and reported in {@code tornTail}.
 */
public record ResultsFolder(Path directory, RunManifest manifest, List<ExperimentRecord> records,
        boolean tornTail) {

    public static ResultsFolder read(Path directory) throws IOException {
        if (!Files.isDirectory(directory)) {
            throw new VlmscopeException(directory + ": not a results folder (no such directory)");
        }
        RunManifest manifest = readManifest(directory.resolve(RunManifest.FILE));
        RecordLog.Contents contents = RecordLog.read(directory.resolve(RecordLog.FILE));
        return new ResultsFolder(directory, manifest, contents.records(), contents.tornTail());
    }

    static RunManifest readManifest(Path file) throws IOException {
        try {
            RunManifest manifest = RecordJson.FILES.readValue(file.toFile(), RunManifest.class);
            if (manifest.format() != RunManifest.FORMAT) {
                throw new VlmscopeException(file + ": results format " + manifest.format() + ", this vlmscope "
                        + "reads format " + RunManifest.FORMAT);
            }
            return manifest;
        } catch (NoSuchFileException | java.io.FileNotFoundException e) {
            throw new VlmscopeException(file.getParent() + ": not a results folder (no " + RunManifest.FILE + ")");
        } catch (JsonProcessingException e) {
            throw new VlmscopeException(file + ": not a vlmscope run.json (" + JsonErrors.describe(e) + ")");
        }
    }
}
