package org.vlmscope.experiments.dataset;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.vlmscope.experiments.ProgressListener;
import org.vlmscope.experiments.dataset.geometry.TokenGrid;
import org.vlmscope.runtime.text.PromptTemplates.Fidelity;

/**
 * Every rule of the filter and the geometry on hand-built COCO files. Most cases use a 4x4 grid on 40 px crops,
 * so that a cell is 10x10 pixels and the expected cells can be read off the coordinates.
 */
class CocoDatasetTest {
    private static final ImageGeometry GRID_4 = new ImageGeometry(new TokenGrid(4));
    private static final long CAT = 1;

    @TempDir
    Path dir;

    @Test
    void annotationLimitCountsCrowd() {
        CocoJson coco = base().image(1, 40, 40).image(2, 40, 40);
        long target = coco.polygons(1, CAT, 1500, CocoJson.square(0, 0, 10, 10));
        coco.polygons(1, 2, 5000, CocoJson.square(20, 20, 30, 30));
        coco.crowd(1, 2, 100, "{\"counts\": [0, 1, 1599], \"size\": [40, 40]}");
        coco.polygons(2, CAT, 1500, CocoJson.square(0, 0, 10, 10));
        coco.polygons(2, 2, 5000, CocoJson.square(20, 20, 30, 30));
        coco.polygons(2, 2, 5000, CocoJson.square(20, 20, 30, 30));
        coco.crowd(2, 2, 100, "{\"counts\": [0, 1, 1599], \"size\": [40, 40]}");
        List<DatasetRecord> records = build(coco, CocoFilter.ABLATION, Fidelity.PAPER);
        assertTrue(records.get(0).kept());
        assertEquals(target, records.get(0).annotationId());
        assertEquals("more than 3 annotations", records.get(1).why());
    }

    @Test
    void firstSingleInstanceCategoryInOrderOfAppearanceIsTheTarget() {
        CocoJson coco = base().category(3, "cup").image(1, 40, 40).image(2, 40, 40).image(3, 40, 40);
        // Image 1: cat 1 twice (not single), then cat 2. The file interleaves image 2's annotations.
        coco.polygons(1, CAT, 1500, CocoJson.square(0, 0, 10, 10));
        coco.polygons(2, 3, 1500, CocoJson.square(0, 0, 10, 10));
        coco.polygons(1, CAT, 1500, CocoJson.square(0, 0, 10, 10));
        coco.polygons(2, 2, 1600, CocoJson.square(0, 0, 10, 10));
        long dogOfImage1 = coco.polygons(1, 2, 1500, CocoJson.square(0, 0, 10, 10));
        // Image 3: cat 3 out of range first, then cat 2 in range.
        coco.polygons(3, 3, 500, CocoJson.square(0, 0, 10, 10));
        long dogOfImage3 = coco.polygons(3, 2, 1500, CocoJson.square(0, 0, 10, 10));
        List<DatasetRecord> records = build(coco, CocoFilter.ABLATION, Fidelity.PAPER);
        assertEquals(dogOfImage1, records.get(0).annotationId());
        assertEquals("dog", records.get(0).object());
        // Image 2: cat 3 appears first in the file and is in range.
        assertEquals("cup", records.get(1).object());
        assertEquals(dogOfImage3, records.get(2).annotationId());
    }

    @Test
    void ablationAreaBoundsAreStrict() {
        double[] areas = {1000, 1000.5, 1999.5, 2000};
        boolean[] kept = {false, true, true, false};
        CocoJson coco = base();
        for (int i = 0; i < areas.length; i++) {
            coco.image(i + 1, 40, 40);
            coco.polygons(i + 1, CAT, areas[i], CocoJson.square(0, 0, 10, 10));
        }
        List<DatasetRecord> records = build(coco, CocoFilter.ABLATION, Fidelity.PAPER);
        for (int i = 0; i < areas.length; i++) {
            assertEquals(kept[i], records.get(i).kept(), "area " + areas[i]);
        }
        assertEquals(CocoFilter.NO_TARGET, records.get(0).why());
    }

    @Test
    void lensPresetWantsExactlyOneAnnotationWithClosedBounds() {
        double[] areas = {19999.5, 20000, 30000, 30000.5};
        boolean[] kept = {false, true, true, false};
        CocoJson coco = base();
        for (int i = 0; i < areas.length; i++) {
            coco.image(i + 1, 40, 40);
            coco.polygons(i + 1, CAT, areas[i], CocoJson.square(0, 0, 10, 10));
        }
        coco.image(9, 40, 40);
        coco.polygons(9, CAT, 25000, CocoJson.square(0, 0, 10, 10));
        coco.polygons(9, 2, 25000, CocoJson.square(0, 0, 10, 10));
        coco.image(10, 40, 40);
        List<DatasetRecord> records = build(coco, CocoFilter.LENS, Fidelity.PAPER);
        for (int i = 0; i < areas.length; i++) {
            assertEquals(kept[i], records.get(i).kept(), "area " + areas[i]);
        }
        assertEquals("more than 1 annotation", records.get(4).why());
        assertEquals(CocoFilter.NO_TARGET, records.get(5).why());
    }

    @Test
    void recordsFollowTheImagesList() {
        CocoJson coco = base().image(5, 40, 40).image(2, 40, 40).image(9, 40, 40);
        List<DatasetRecord> records = build(coco, CocoFilter.ABLATION, Fidelity.PAPER);
        assertEquals(List.of(5L, 2L, 9L), records.stream().map(DatasetRecord::imageId).toList());
        assertEquals("000000000005.jpg", records.get(0).file());
    }

    @Test
    void keysMayComeInAnyOrder() throws IOException {
        // Annotations before images and categories last but one: the reader resolves references after its pass.
        Path file = Files.writeString(dir.resolve("reordered.json"), "{\"annotations\": [{\"id\": 4, \"image_id\": 2, "
                + "\"category_id\": 1, \"area\": 1500, \"segmentation\": [[0, 0, 10, 0, 10, 10, 0, 10]], "
                + "\"bbox\": [0, 0, 10, 10]}], \"categories\": [{\"id\": 1, \"name\": \"person\"}], "
                + "\"images\": [{\"id\": 2, \"file_name\": \"b.jpg\", \"width\": 40, \"height\": 40}]}");
        Path out = dir.resolve("reordered.jsonl");
        CocoDataset.build(file, new CocoDataset.Options(CocoFilter.ABLATION, GRID_4, Fidelity.CODE, null), out,
                ProgressListener.NONE);
        DatasetRecord r = JsonLines.read(out, DatasetRecord.class, "a dataset record").get(0);
        assertEquals(4L, r.annotationId());
        assertArrayEquals(new int[] {0}, r.objectCells());
    }

    @Test
    void cropOfLandscapePortraitAndSquareImages() {
        // The same 10x10 object in cell 5 (row 1, column 1) of the crop, placed in image coordinates.
        CocoJson coco = base().image(1, 80, 40).image(2, 40, 80).image(3, 40, 40);
        coco.polygons(1, CAT, 1500, CocoJson.square(30, 10, 40, 20));
        coco.polygons(2, CAT, 1500, CocoJson.square(10, 30, 20, 40));
        coco.polygons(3, CAT, 1500, CocoJson.square(10, 10, 20, 20));
        for (Fidelity f : Fidelity.values()) {
            List<DatasetRecord> records = build(coco, CocoFilter.ABLATION, f);
            assertArrayEquals(new int[] {20, 0, 40}, records.get(0).crop());
            assertArrayEquals(new int[] {0, 20, 40}, records.get(1).crop());
            assertArrayEquals(new int[] {0, 0, 40}, records.get(2).crop());
            for (DatasetRecord r : records) {
                assertArrayEquals(new int[] {5}, r.objectCells(), f + " " + r);
                assertArrayEquals(new int[] {0, 1, 2, 4, 5, 6, 8, 9, 10}, r.buffer1());
                assertEquals(16, r.buffer2().length);
                assertEquals(4, r.grid());
                assertEquals(f.name().toLowerCase(), r.fidelity());
            }
        }
    }

    @Test
    void verticesOutsideTheCropAreDroppedInCodeAndClippedInPaper() {
        // Crop [20, 0, 40]. In crop coordinates the quadrilateral is (-10,5), (10,5), (20,15), (10,25). Code keeps
        // the triangle (10,5), (20,15), (10,25): column 1 (pixel 19 is the last one it reaches), rows 0-2. Paper
        // clips at x = 0, keeping (0,5) .. (0,15), which adds column 0, rows 0-2.
        CocoJson coco = base().image(1, 80, 40);
        coco.polygons(1, CAT, 1500, new double[] {10, 5, 30, 5, 40, 15, 30, 25});
        assertArrayEquals(new int[] {1, 5, 9}, build(coco, CocoFilter.ABLATION, Fidelity.CODE).get(0).objectCells());
        assertArrayEquals(new int[] {0, 1, 4, 5, 8, 9},
                build(coco, CocoFilter.ABLATION, Fidelity.PAPER).get(0).objectCells());
    }

    @Test
    void partLeftWithTwoVerticesIsDiscardedInCode() {
        // Crop coordinates (-5,10)-(20,20): code keeps only (20,10), (20,20) and drops the part, so nothing is
        // left; paper clips it to (0,10)-(20,20), cells 4 and 5.
        CocoJson coco = base().image(1, 80, 40);
        coco.polygons(1, CAT, 1500, CocoJson.square(15, 10, 40, 20));
        assertEquals(TargetMask.OUTSIDE, build(coco, CocoFilter.ABLATION, Fidelity.CODE).get(0).why());
        assertArrayEquals(new int[] {4, 5}, build(coco, CocoFilter.ABLATION, Fidelity.PAPER).get(0).objectCells());
    }

    @Test
    void multiPartPolygonsUnite() {
        CocoJson coco = base().image(1, 80, 40);
        coco.polygons(1, CAT, 1500, CocoJson.square(20, 0, 30, 10), CocoJson.square(48, 28, 58, 38));
        for (Fidelity f : Fidelity.values()) {
            assertArrayEquals(new int[] {0, 10, 11, 14, 15},
                    build(coco, CocoFilter.ABLATION, f).get(0).objectCells(), f.toString());
        }
    }

    @Test
    void targetOutsideTheCropIsRejected() {
        CocoJson coco = base().image(1, 80, 40);
        long id = coco.polygons(1, CAT, 1500, CocoJson.square(2, 2, 12, 12));
        for (Fidelity f : Fidelity.values()) {
            DatasetRecord r = build(coco, CocoFilter.ABLATION, f).get(0);
            assertFalse(r.kept());
            assertEquals(TargetMask.OUTSIDE, r.why());
            assertEquals(id, r.annotationId());
            assertNull(r.objectCells());
        }
    }

    @Test
    void integerCellsLeaveTheLastPixelsOutExactCellsDoNot() {
        // Crop 42 on 4 cells: code cells are 10 px, pixels 40-41 belong to none; paper cells are 10.5 px. The
        // square (40,0)-(41.5,1.5) rasterises to pixels 40-41 x 0-1 (its vertices stay inside the crop).
        CocoJson coco = base().image(1, 42, 42);
        coco.polygons(1, CAT, 1500, CocoJson.square(40, 0, 41.5, 1.5));
        assertEquals(CocoDataset.NO_CELL, build(coco, CocoFilter.ABLATION, Fidelity.CODE).get(0).why());
        assertArrayEquals(new int[] {3}, build(coco, CocoFilter.ABLATION, Fidelity.PAPER).get(0).objectCells());
    }

    @Test
    void crowdRleCompressedAndUncompressed() {
        CocoJson coco = base().image(1, 40, 40).image(2, 40, 40);
        StringBuilder counts = new StringBuilder();
        for (long c : org.vlmscope.experiments.dataset.coco.CompressedRleTest.blockCountsForTests()) {
            counts.append(counts.length() == 0 ? "" : ", ").append(c);
        }
        coco.crowd(1, CAT, 1500, "{\"counts\": \"" + org.vlmscope.experiments.dataset.coco.CompressedRleTest.BLOCK
                + "\", \"size\": [40, 40]}");
        coco.crowd(2, CAT, 1500, "{\"counts\": [" + counts + "], \"size\": [40, 40]}");
        for (DatasetRecord r : build(coco, CocoFilter.ABLATION, Fidelity.CODE)) {
            assertArrayEquals(new int[] {0}, r.objectCells(), r.toString());
        }
    }

    @Test
    void llavaGridOn336Pixels() {
        CocoJson coco = base().image(1, 448, 336);
        // Crop [56, 0, 336]; the square (14,28)-(42,56) in crop coordinates covers rows 2-3, columns 1-2.
        coco.polygons(1, CAT, 1500, CocoJson.square(70, 28, 98, 56));
        for (Fidelity f : Fidelity.values()) {
            DatasetRecord r = build(coco, CocoFilter.ABLATION, f, ImageGeometry.LLAVA_1_5, null).get(0);
            assertArrayEquals(new int[] {49, 50, 73, 74}, r.objectCells());
            assertEquals(24, r.grid());
            // Rows 1-4 x columns 0-3; rows 0-5 x columns 0-4 (clipped at the left border).
            assertEquals(16, r.buffer1().length);
            assertEquals(30, r.buffer2().length);
        }
    }

    @Test
    void imageFilesAreCheckedPerImage() throws IOException {
        CocoJson coco = base().image(1, 40, 40).image(2, 40, 40).image(3, 40, 40).image(4, 40, 40);
        for (int id = 1; id <= 4; id++) {
            coco.polygons(id, CAT, 1500, CocoJson.square(0, 0, 10, 10));
        }
        Path images = Files.createDirectories(dir.resolve("images"));
        ImageIO.write(new BufferedImage(40, 40, BufferedImage.TYPE_INT_RGB), "png",
                images.resolve("000000000001.jpg").toFile());
        Files.writeString(images.resolve("000000000003.jpg"), "not a picture");
        ImageIO.write(new BufferedImage(30, 40, BufferedImage.TYPE_INT_RGB), "png",
                images.resolve("000000000004.jpg").toFile());
        List<DatasetRecord> records = build(coco, CocoFilter.ABLATION, Fidelity.PAPER, GRID_4, images);
        assertTrue(records.get(0).kept());
        assertEquals("image file not found", records.get(1).why());
        assertTrue(records.get(2).why().startsWith("not an image"), records.get(2).why());
        assertEquals("image is 30x40 but the annotations say 40x40", records.get(3).why());
    }

    @Test
    void summaryCountsKeptAndRejectedByReason() {
        CocoJson coco = base().image(1, 40, 40).image(2, 40, 40).image(3, 40, 40);
        coco.polygons(1, CAT, 1500, CocoJson.square(0, 0, 10, 10));
        coco.polygons(2, CAT, 500, CocoJson.square(0, 0, 10, 10));
        DatasetSummary summary = CocoDataset.build(coco.write(dir.resolve("s.json")),
                new CocoDataset.Options(CocoFilter.ABLATION, GRID_4, Fidelity.PAPER, null), dir.resolve("s.jsonl"),
                ProgressListener.NONE);
        assertEquals(3, summary.considered());
        assertEquals(1, summary.kept());
        assertEquals(Map.of(CocoFilter.NO_TARGET, 2), summary.rejected());
    }

    private static CocoJson base() {
        return new CocoJson().category(CAT, "person").category(2, "dog");
    }

    private List<DatasetRecord> build(CocoJson coco, CocoFilter filter, Fidelity fidelity) {
        return build(coco, filter, fidelity, GRID_4, null);
    }

    private List<DatasetRecord> build(CocoJson coco, CocoFilter filter, Fidelity fidelity, ImageGeometry geometry,
            Path images) {
        Path in = coco.write(dir.resolve("instances.json"));
        Path out = dir.resolve("dataset.jsonl");
        CocoDataset.build(in, new CocoDataset.Options(filter, geometry, fidelity, images), out,
                ProgressListener.NONE);
        return JsonLines.read(out, DatasetRecord.class, "a dataset record");
    }
}
