package org.vlmscope.core;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class VectorFileTest {
    @TempDir
    Path tmp;

    /** The paper's LLaVA-1.5 mean vector: 4096 values, L2 norm 25.566, first values as data/README.md records. */
    @Test
    void readsThePapersPyTorchMeanVectorWithoutUnpickling() {
        Path pt = Path.of("../../shared/data/mean-vectors/llava-1.5-7b.pt");
        assumeTrue(Files.exists(pt), "../shared is absent: the paper's mean vectors are not available");
        float[] v = VectorFile.read(pt.toString(), 4096);
        double norm = 0;
        for (float x : v) {
            norm += x * x;
        }
        assertEquals(25.566, Math.sqrt(norm), 5e-4);
        assertArrayEquals(new float[] {0.35326f, 0.32078f, -0.64712f, 0.23420f}, java.util.Arrays.copyOf(v, 4), 5e-6f);
        var e = assertThrows(BadArgumentException.class, () -> VectorFile.read(pt.toString(), 3072));
        assertTrue(e.getMessage().contains("4096 values; expected 3072"), e.getMessage());
    }

    @Test
    void readsTheOnlyTensorOrANamedOneFromSafetensors() {
        Path one = tmp.resolve("one.safetensors");
        SafetensorsWriter.writeAll(one, Map.of(), List.of(SafetensorsWriter.NamedTensor.ofFloats("mean", new long[] {3},
                new float[] {1, 2, 3})));
        assertArrayEquals(new float[] {1, 2, 3}, VectorFile.read(one.toString(), 3));
        Path two = tmp.resolve("two.safetensors");
        SafetensorsWriter.writeAll(two, Map.of(), List.of(
                SafetensorsWriter.NamedTensor.ofFloats("a", new long[] {2}, new float[] {1, 2}),
                SafetensorsWriter.NamedTensor.ofFloats("b", new long[] {2}, new float[] {3, 4})));
        assertArrayEquals(new float[] {3, 4}, VectorFile.read(two + ":b", 2));
        var e = assertThrows(VlmscopeException.class, () -> VectorFile.read(two.toString(), 2));
        assertTrue(e.getMessage().contains("holds 2 tensors"), e.getMessage());
    }

    @Test
    void refusesFilesThatAreNotArchives() throws IOException {
        Path bogus = tmp.resolve("bogus.pt");
        Files.writeString(bogus, "not a zip");
        var e = assertThrows(VlmscopeException.class, () -> VectorFile.read(bogus.toString(), 4));
        assertTrue(e.getMessage().contains("bogus.pt"), e.getMessage());
        assertThrows(VlmscopeException.class, () -> VectorFile.read(tmp.resolve("missing.safetensors").toString(), 4));
    }
}
