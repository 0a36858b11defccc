package org.vlmscope.experiments.dataset;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.vlmscope.core.ModelManifest;
import org.vlmscope.core.VlmscopeException;
import org.vlmscope.experiments.ProgressListener;
import org.vlmscope.runtime.text.PromptTemplates.Fidelity;

/** The grid comes from the model; a dataset made for one grid is refused for a model with another. */
class ImageGeometryTest {
    @TempDir
    Path dir;

    @Test
    void gridComesFromTheManifest() {
        assertEquals(12, ImageGeometry.of(manifest("llava", 168, 12)).grid().side());
        assertEquals(24, ImageGeometry.of(manifest("llava", 336, 24)).grid().side());
    }

    @Test
    void unknownFamilyIsRefused() {
        VlmscopeException e = assertThrows(VlmscopeException.class,
                () -> ImageGeometry.of(manifest("qwen2_vl", 336, 24)));
        assertTrue(e.getMessage().contains("qwen2_vl"), e.getMessage());
    }

    @Test
    void datasetForAnotherGridIsRefused() {
        CocoJson coco = new CocoJson().category(1, "cat").image(1, 168, 168);
        coco.polygons(1, 1, 1500, CocoJson.square(14, 14, 42, 42));
        Path dataset = dir.resolve("d.jsonl");
        ImageGeometry twelve = ImageGeometry.of(manifest("llava", 168, 12));
        CocoDataset.build(coco.write(dir.resolve("i.json")),
                new CocoDataset.Options(CocoFilter.ABLATION, twelve, Fidelity.CODE, null), dataset,
                ProgressListener.NONE);
        // 168 / 12 = 14 px cells: the square (14..41) covers rows and columns 1-2.
        assertEquals(List.of(13, 14, 25, 26), java.util.Arrays.stream(DatasetFile.readFor(dataset, twelve).get(0)
                .objectCells()).boxed().toList());
        VlmscopeException e = assertThrows(VlmscopeException.class,
                () -> DatasetFile.readFor(dataset, ImageGeometry.LLAVA_1_5));
        assertTrue(e.getMessage().contains("12x12 token grid, but the model has 24x24"), e.getMessage());
    }

    private static ModelManifest manifest(String family, int imageSize, int grid) {
        ModelManifest.Dims dims = new ModelManifest.Dims(4, 64, 4, 2, 16, 128, 1024, 3, 64, imageSize, 14, grid,
                grid * grid);
        return new ModelManifest(ModelManifest.FORMAT, family, "llama", "fp32", false, dims, 1000, 1L, List.of(2L),
                1001L, Map.of(), Map.of(), null, null);
    }
}
