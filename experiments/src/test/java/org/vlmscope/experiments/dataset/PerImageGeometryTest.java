package org.vlmscope.experiments.dataset;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.vlmscope.core.ModelManifest;
import org.vlmscope.core.VlmscopeException;
import org.vlmscope.experiments.ProgressListener;
import org.vlmscope.experiments.dataset.geometry.TokenGrid;
import org.vlmscope.runtime.text.PromptTemplates.Fidelity;

/**
 * A Qwen2-VL model's geometry: no crop, each image its own grid from smart_resize, object cells and buffers on
 * that grid. Expected grids are worked out by hand from HF's smart_resize (factor 28 = patch 14 x merge 2,
 * min_pixels 3136, max_pixels 38416 as in the qwen2vl-dev fixture):
 * <ul>
 * <li>100 x 60 (w x h): h_bar = round(60 / 28) * 28 = round(2.14) * 28 = 56, w_bar = round(3.57) * 28 = 112;
 * 56 * 112 = 6272 lies in [3136, 38416], so the image becomes 112 x 56: 2 rows x 4 columns of 28 px cells. A
 * cell is 112 / 4 = 28 px of the resized image = 100 / 4 = 25 px of the original wide, 60 / 2 = 30 px high.</li>
 * <li>60 x 90: h_bar = round(3.21) * 28 = 84, w_bar = round(2.14) * 28 = 56; 4704 in range: 3 rows x 2 columns,
 * cells 30 px wide and 30 px high in the original.</li>
 * <li>40 x 40: round(1.43) * 28 = 28 each side, 784 &lt; 3136, so beta = sqrt(3136 / 1600) = 1.4 and both sides
 * become ceil(40 * 1.4 / 28) * 28 = 56: 2 x 2.</li>
 * </ul>
 */
class PerImageGeometryTest {
    @TempDir
    Path dir;

    @Test
    void gridsFollowSmartResize() throws IOException {
        ImageGeometry g = ImageGeometry.of(qwenModel());
        assertTrue(g.gridPerImage());
        assertEquals(new TokenGrid(2, 4), g.gridOf(100, 60));
        assertEquals(new TokenGrid(3, 2), g.gridOf(60, 90));
        assertEquals(new TokenGrid(2, 2), g.gridOf(40, 40));
        assertEquals(0, g.layout(100, 60).left());
        assertEquals(100, g.layout(100, 60).width());
        assertEquals(60, g.layout(100, 60).height());
        assertThrows(VlmscopeException.class, g::grid);
    }

    @Test
    void objectCellsAndBuffersOnTheImagesOwnGrid() throws IOException {
        // On the 100 x 60 image (2 x 4 cells of 25 x 30 px): a square x 30..45, y 5..20 lies inside column 1
        // (x 25..50) of row 0: cell 1. One step of 8-neighbour dilation on the 2 x 4 grid adds columns 0-2 of both
        // rows: 0, 1, 2, 4, 5, 6; a second adds column 3: all 8 cells.
        // On the 60 x 90 image (3 x 2 cells of 30 x 30 px): a square x 35..55, y 65..85 lies in row 2 (y 60..90),
        // column 1 (x 30..60): cell 2 * 2 + 1 = 5; one step adds rows 1-2, columns 0-1: 2, 3, 4, 5.
        CocoJson coco = new CocoJson().category(1, "cat").image(1, 100, 60).image(2, 60, 90);
        coco.polygons(1, 1, 1500, CocoJson.square(30, 5, 45, 20));
        coco.polygons(2, 1, 1500, CocoJson.square(35, 65, 55, 85));
        for (Fidelity fidelity : Fidelity.values()) {
            List<DatasetRecord> records = build(coco, fidelity);
            DatasetRecord wide = records.get(0);
            assertTrue(wide.kept(), wide.why());
            assertNull(wide.crop());
            assertEquals(0, wide.grid());
            assertEquals(2, wide.rows());
            assertEquals(4, wide.cols());
            assertArrayEquals(new int[] {1}, wide.objectCells());
            assertArrayEquals(new int[] {0, 1, 2, 4, 5, 6}, wide.buffer1());
            assertArrayEquals(new int[] {0, 1, 2, 3, 4, 5, 6, 7}, wide.buffer2());
            assertArrayEquals(new int[] {0, 0, 100, 60}, wide.region());
            DatasetRecord tall = records.get(1);
            assertEquals(3, tall.rows());
            assertEquals(2, tall.cols());
            assertArrayEquals(new int[] {5}, tall.objectCells());
            assertArrayEquals(new int[] {2, 3, 4, 5}, tall.buffer1());
        }
    }

    @Test
    void cellBordersAreThoseOfTheResizedImage() throws IOException {
        // 100 x 60: column borders at x = 25, 50, 75 (28, 56, 84 after the resize). A square x 24..26 straddles the
        // first border: its pixels 24 and 25 fall in columns 0 and 1, both of row 0.
        CocoJson coco = new CocoJson().category(1, "cat").image(1, 100, 60);
        coco.polygons(1, 1, 1500, CocoJson.square(24, 10, 26, 12));
        assertArrayEquals(new int[] {0, 1}, build(coco, Fidelity.PAPER).get(0).objectCells());
    }

    @Test
    void recordsAreCheckedAgainstTheModelsGrid() throws IOException {
        CocoJson coco = new CocoJson().category(1, "cat").image(1, 100, 60);
        coco.polygons(1, 1, 1500, CocoJson.square(30, 5, 45, 20));
        Path model = qwenModel();
        Path dataset = dir.resolve("d.jsonl");
        CocoDataset.build(coco.write(dir.resolve("i.json")), new CocoDataset.Options(CocoFilter.ABLATION,
                ImageGeometry.of(model), Fidelity.PAPER, null), dataset, ProgressListener.NONE);
        assertEquals(1, DatasetFile.readFor(dataset, ImageGeometry.of(model)).size());
        VlmscopeException llava = assertThrows(VlmscopeException.class,
                () -> DatasetFile.readFor(dataset, ImageGeometry.LLAVA_1_5));
        assertTrue(llava.getMessage().contains("2x4 (per-image) token grid, but the model has 24x24"),
                llava.getMessage());
        // A larger max_pixels gives the same image another grid: 100 x 60 rounds to 112 x 56 whatever the
        // maximum, so make the minimum bite instead: min_pixels 12544 (112 * 112) scales 6000 px by
        // beta = sqrt(12544 / 6000) = 1.446: 60 -> ceil(86.8 / 28) * 28 = 112, 100 -> ceil(144.6 / 28) * 28 = 168.
        Files.writeString(model.resolve("preprocessor_config.json"), PREPROCESSOR.replace("3136", "12544"));
        assertEquals(new TokenGrid(4, 6), ImageGeometry.of(model).gridOf(100, 60));
        VlmscopeException other = assertThrows(VlmscopeException.class,
                () -> DatasetFile.readFor(dataset, ImageGeometry.of(model)));
        assertTrue(other.getMessage().contains("2x4 token grid, but the model gives this 100x60 image 4x6"),
                other.getMessage());
    }

    @Test
    void anImageTheProcessorRefusesIsRejected() throws IOException {
        // 20 px is below the 28 px smart_resize needs on each side.
        CocoJson coco = new CocoJson().category(1, "cat").image(1, 20, 60);
        coco.polygons(1, 1, 1500, CocoJson.square(2, 2, 10, 10));
        DatasetRecord r = build(coco, Fidelity.PAPER).get(0);
        assertFalse(r.kept());
        assertTrue(r.why().startsWith(CocoDataset.IMAGE_REFUSED), r.why());
    }

    private List<DatasetRecord> build(CocoJson coco, Fidelity fidelity) throws IOException {
        Path in = coco.write(dir.resolve("instances.json"));
        Path out = dir.resolve("dataset.jsonl");
        CocoDataset.build(in, new CocoDataset.Options(CocoFilter.ABLATION, ImageGeometry.of(qwenModel()), fidelity,
                null), out, ProgressListener.NONE);
        return DatasetFile.read(out);
    }

    private static final String PREPROCESSOR = "{\"image_processor_type\": \"Qwen2VLImageProcessor\", "
            + "\"min_pixels\": 3136, \"max_pixels\": 38416, \"patch_size\": 14, \"merge_size\": 2, "
            + "\"temporal_patch_size\": 2, \"resample\": 3, \"do_resize\": true}";

    /** A Qwen2-VL model directory as far as the geometry reads it: vlmscope.json and preprocessor_config.json. */
    private Path qwenModel() throws IOException {
        Path model = dir.resolve("qwen");
        if (Files.isDirectory(model)) {
            return model;
        }
        Files.createDirectories(model);
        ModelManifest.Dims dims = new ModelManifest.Dims(2, 64, 4, 2, 16, 128, 1250, 2, 32, 0, 14, 0, 0);
        ModelManifest.GraphEntry graph = new ModelManifest.GraphEntry("x.onnx", List.of());
        new ModelManifest(ModelManifest.FORMAT, "qwen2_vl", "qwen2", "fp32", false, dims, 1244, 1L, List.of(2L), null,
                Map.of(), Map.of("vision", graph, "embed", graph, "decoder", graph), null,
                new ModelManifest.Qwen2Vl(1242, 1243, 2, 2, List.of(2, 3, 3))).write(model);
        Files.writeString(model.resolve("preprocessor_config.json"), PREPROCESSOR);
        return model;
    }
}
