package org.vlmscope.runtime.diff;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.vlmscope.core.SafetensorsWriter;
import org.vlmscope.core.SafetensorsWriter.NamedTensor;

class ActivationDiffTest {
    @TempDir
    Path tmp;

    /** a = (3, 4), b = (3, 5): max 1, mean 0.5, relative L2 1/5, cosine 29 / (5 sqrt 34). */
    @Test
    void metricsMatchHandComputedValues() {
        DiffRow r = ActivationDiff.metrics("t", null, new float[] {3, 4}, new float[] {3, 5});
        assertEquals(1.0, r.maxAbs(), 1e-12);
        assertEquals(0.5, r.meanAbs(), 1e-12);
        assertEquals(0.2, r.relativeL2(), 1e-12);
        assertEquals(29 / (5 * Math.sqrt(34)), r.cosine(), 1e-12);
    }

    @Test
    void comparesPerLayerInLayerOrderAndReportsLensAgreementAndMissingTensors() {
        Path a = tmp.resolve("a.safetensors");
        Path b = tmp.resolve("b.safetensors");
        SafetensorsWriter.writeAll(a, Map.of(), List.of(
                NamedTensor.ofFloats("blocks.10.hook_resid_post", new long[] {1, 2}, new float[] {1, 1}),
                NamedTensor.ofFloats("blocks.9.hook_resid_post", new long[] {1, 2}, new float[] {1, 2}),
                NamedTensor.ofLongs("lens.top_ids", new long[] {2, 1, 2, 2}, new long[] {7, 8, 9, 1, 5, 6, 3, 4}),
                NamedTensor.ofFloats("only_a", new long[] {1}, new float[] {0})));
        SafetensorsWriter.writeAll(b, Map.of(), List.of(
                NamedTensor.ofFloats("blocks.10.hook_resid_post", new long[] {1, 2}, new float[] {1, 3}),
                NamedTensor.ofFloats("blocks.9.hook_resid_post", new long[] {1, 2}, new float[] {1, 2}),
                NamedTensor.ofLongs("lens.top_ids", new long[] {2, 1, 2, 2}, new long[] {7, 0, 2, 1, 5, 6, 3, 0})));
        List<DiffRow> rows = ActivationDiff.compare(a, b);
        assertEquals("blocks.*.hook_resid_post", rows.get(0).tensor());
        assertEquals(9, rows.get(0).layer());
        assertEquals(0.0, rows.get(0).maxAbs());
        assertEquals(10, rows.get(1).layer());
        assertEquals(2.0, rows.get(1).maxAbs(), 1e-12);
        // lens rows: layer 0 positions (7 | 7) agree, (9 | 2) differ -> 0.5; layer 1: (5 | 5), (3 | 3) -> 1.0
        assertEquals("lens.top_ids", rows.get(2).tensor());
        assertEquals(0.5, rows.get(2).top1Agreement(), 1e-12);
        assertEquals(1.0, rows.get(3).top1Agreement(), 1e-12);
        assertEquals("only in A", rows.get(4).note());
        String table = DiffReport.format(rows, "table");
        assertTrue(table.contains("only in A"), table);
        assertTrue(DiffReport.format(rows, "csv").startsWith("tensor,layer,elements,max_abs"));
        assertTrue(DiffReport.format(rows, "json").contains("\"top1_agreement\" : 0.5"));
    }
}
