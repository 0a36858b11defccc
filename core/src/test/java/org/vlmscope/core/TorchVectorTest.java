package org.vlmscope.core;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/**
 * PyTorch archives written by torch.save (testdata/torch-vectors/make_torch_vectors.py, torch 1.13): the pickle is
 * read as data for the storage class, offset, size and strides, and only one contiguous float32 vector is taken.
 * Before, {@code data/0} was read as float32 whatever the pickle said (a fuzzing finding).
 */
class TorchVectorTest {
    private static String fixture(String name) {
        return TestData.golden().resolveSibling("torch-vectors").resolve(name).toString();
    }

    private static void refused(String name, String... fragments) {
        String file = fixture(name);
        VlmscopeException e = assertThrows(VlmscopeException.class, () -> VectorFile.read(file));
        assertTrue(e.getMessage().contains(file), e.getMessage());
        assertFalse(e.getMessage().contains("\n"), e.getMessage());
        for (String fragment : fragments) {
            assertTrue(e.getMessage().contains(fragment), "expected '" + fragment + "' in: " + e.getMessage());
        }
    }

    @Test
    void readsVectorsAsTorchWroteThem() {
        float[] expected = {1.0f, 1.5f, 2.0f, 2.5f, 3.0f, 3.5f};
        assertArrayEquals(expected, VectorFile.read(fixture("vector-f32.pt")));
        assertArrayEquals(expected, VectorFile.read(fixture("row-f32.pt")));
    }

    /** (arange(10) * 2)[3:7]: torch saves the whole storage of 10 values and offset 3. */
    @Test
    void aViewReadsItsOwnValuesFromTheStorageOffset() {
        assertArrayEquals(new float[] {6, 8, 10, 12}, VectorFile.read(fixture("view-offset-f32.pt")));
    }

    @Test
    void otherStorageTypesAreRefused() {
        refused("vector-f16.pt", "HalfStorage", "expected float32");
        refused("vector-f64.pt", "DoubleStorage", "expected float32");
        refused("vector-i64.pt", "LongStorage", "expected float32");
    }

    @Test
    void matricesAndNonContiguousLayoutsAreRefused() {
        refused("matrix-f32.pt", "size [8, 8]", "expected a vector");
        refused("strided-f32.pt", "not contiguous", "stride 2");
        refused("stride0-f32.pt", "not contiguous", "stride 0");
    }

    @Test
    void aShapeLargerThanItsStorageIsRefused() {
        refused("shape128-over64-f32.pt", "reads past its storage of 64 values");
    }

    @Test
    void aStorageEntryShorterThanDeclaredIsRefused() {
        refused("short-storage-f32.pt", "has 20 bytes", "declares 6 float32 values");
    }

    @Test
    void garbageAndCodePicklesAreRefusedWithoutRunningAnything() {
        refused("garbage-pickle.pt", "data.pkl");
        Path marker = Path.of("/tmp/vlmscope-pickle-ran");
        refused("code-pickle.pt", "data.pkl", "does not describe one tensor", "posix.system");
        assertFalse(Files.exists(marker), "the pickle's payload ran");
    }

    @Test
    void thePapersMeanVectorsStillRead() {
        for (String name : new String[] {"llava-1.5-7b.pt", "llava-phi-3-mini.pt"}) {
            Path pt = TestData.golden().getParent().getParent().getParent().resolve("shared/data/mean-vectors/" + name);
            org.junit.jupiter.api.Assumptions.assumeTrue(Files.exists(pt), "../shared is absent");
            assertTrue(VectorFile.read(pt.toString()).length >= 3072);
        }
    }
}
