package org.vlmscope.golden;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.vlmscope.core.SafetensorsFile;

/**
 * A golden fixture made with Hugging Face transformers (testdata/golden/NAME, a copy of shared/golden/NAME):
 * the checkpoint, the expected tensors and the manifest with its tolerances.
 */
public final class GoldenFixture implements AutoCloseable {
    public final String name;
    public final Path dir;
    public final JsonNode manifest;
    public final SafetensorsFile expected;

    private GoldenFixture(String name, Path dir) {
        this.name = name;
        this.dir = dir;
        try {
            this.manifest = new ObjectMapper().readTree(dir.resolve("manifest.json").toFile());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        this.expected = SafetensorsFile.open(dir.resolve("expected.safetensors"));
    }

    /** The fixture from the repository's testdata (found from the module directory or the repository root). */
    public static GoldenFixture load(String name) {
        for (Path root : new Path[] {Path.of(".."), Path.of(".")}) {
            Path dir = root.resolve("testdata/golden").resolve(name).toAbsolutePath().normalize();
            if (Files.isDirectory(dir)) {
                return new GoldenFixture(name, dir);
            }
        }
        throw new IllegalStateException("golden fixture " + name + " not found under testdata/golden");
    }

    public Path checkpoint() {
        return dir.resolve("model");
    }

    public float[] floats(String tensor) {
        return expected.toFloatArray(tensor);
    }

    public long[] longs(String tensor) {
        return expected.toLongArray(tensor);
    }

    public long[] inputIds() {
        return longs("input_ids");
    }

    public double atol(String group) {
        return manifest.path("tolerances").path(group).path("atol").asDouble();
    }

    public double rtol(String group) {
        return manifest.path("tolerances").path(group).path("rtol").asDouble();
    }

    @Override
    public void close() {
        expected.close();
    }
}
