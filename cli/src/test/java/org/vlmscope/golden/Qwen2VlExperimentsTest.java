package org.vlmscope.golden;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.IntStream;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.vlmscope.cli.Cli;
import org.vlmscope.cli.CocoFixture;
import org.vlmscope.core.SafetensorsFile;
import org.vlmscope.experiments.dataset.DatasetFile;
import org.vlmscope.experiments.dataset.DatasetRecord;
import org.vlmscope.experiments.records.ExperimentRecord;
import org.vlmscope.experiments.records.LensRecord;
import org.vlmscope.experiments.records.LensSidecar;
import org.vlmscope.experiments.records.LensSidecars;
import org.vlmscope.experiments.records.RecordLog;
import org.vlmscope.exporter.ExportOptions;
import org.vlmscope.exporter.Exporter;
import org.vlmscope.runtime.text.Tokenizer;

/**
 * The paper's Qwen2-VL experiment on the qwen2vl-dev export: {@code dataset coco --preset lens} on two images of
 * different sizes, {@code logit-lens} on it, {@code mean} and a small {@code ablation}. The fixture has no
 * tokenizer; {@code qwen2vl-dev-tokenizer/} (test resources) is a word-level stand-in with Qwen2-VL's special
 * tokens at the fixture's ids.
 *
 * <p>Grids by hand from HF's smart_resize (factor 28, the fixture's min_pixels 3136, max_pixels 38416):
 * 200 x 150 (w x h): round(150 / 28 = 5.36) * 28 = 140, round(200 / 28 = 7.14) * 28 = 196, 140 * 196 = 27440 in
 * range: 5 rows x 7 cols, 35 visual tokens. 120 x 180: round(6.43) * 28 = 168, round(4.29) * 28 = 112,
 * 168 * 112 = 18816 in range: 6 rows x 4 cols, 24 visual tokens.
 */
class Qwen2VlExperimentsTest {
    @TempDir
    static Path shared;
    static Path model;
    static Path images;
    static Path dataset;
    static Path lens;

    @TempDir
    Path tmp;

    @BeforeAll
    static void prepare() throws IOException, URISyntaxException {
        try (GoldenFixture f = GoldenFixture.load("qwen2vl-dev")) {
            model = Exporter.export(f.checkpoint(), shared.resolve("model"), ExportOptions.parse("fp32")).modelDir();
        }
        Path tokenizer = Path.of(Qwen2VlExperimentsTest.class.getResource("/qwen2vl-dev-tokenizer/tokenizer.json")
                .toURI()).getParent();
        for (String file : List.of("tokenizer.json", "tokenizer_config.json")) {
            Files.copy(tokenizer.resolve(file), model.resolve(file));
        }
        images = Files.createDirectories(shared.resolve("images"));
        // One object per image, its area in the lens preset's [20000, 30000].
        CocoFixture.picture(200, 150, 30, 0, 190, 150, "png", images.resolve("1.png"));
        CocoFixture.picture(120, 180, 0, 0, 120, 170, "png", images.resolve("2.png"));
        Path instances = Files.writeString(shared.resolve("instances.json"), "{\"images\": ["
                + "{\"id\": 1, \"file_name\": \"1.png\", \"width\": 200, \"height\": 150}, "
                + "{\"id\": 2, \"file_name\": \"2.png\", \"width\": 120, \"height\": 180}], \"annotations\": ["
                + annotation(11, 1, 30, 0, 190, 150) + ", " + annotation(21, 2, 0, 0, 120, 170) + "], "
                + "\"categories\": [{\"id\": 17, \"name\": \"cat\"}]}");
        dataset = shared.resolve("lens.jsonl");
        Cli.ok("dataset", "coco", "--preset", "lens", "--annotations", instances.toString(), "--images",
                images.toString(), "--model", model.toString(), "-o", dataset.toString());
        lens = shared.resolve("lens");
        Cli.Result r = Cli.ok("logit-lens", model.toString(), "--dataset", dataset.toString(), "--images",
                images.toString(), "--device", "cpu", "-o", lens.toString());
        assertTrue(r.out().contains("logit-lens: 2 images (0 resumed), 2 records appended"), r.toString());
    }

    @Test
    void inspectSaysTheGridVariesPerImage() {
        // The fixture's preprocessor_config.json: min_pixels 3136, max_pixels 38416; cells of 14 x 2 = 28 px.
        Cli.Result r = Cli.ok("inspect", model.toString());
        assertTrue(r.out().contains("grid varies per image (smart_resize, 28 px cells, min_pixels 3136, max_pixels "
                + "38416)"), r.toString());
    }

    @Test
    void datasetCellsLieOnEachImagesOwnGrid() {
        List<DatasetRecord> records = DatasetFile.read(dataset);
        assertEquals(2, records.size());
        int[][] grids = {{5, 7}, {6, 4}};
        for (int i = 0; i < 2; i++) {
            DatasetRecord r = records.get(i);
            assertTrue(r.kept(), r.why());
            assertNull(r.crop(), "Qwen2-VL does not crop");
            assertEquals(grids[i][0], r.rows());
            assertEquals(grids[i][1], r.cols());
            assertTrue(r.objectCells().length > 0);
            assertTrue(r.buffer2()[r.buffer2().length - 1] < grids[i][0] * grids[i][1]);
        }
        // Image 1's object spans x 30..190 of 200 px in 7 columns of 200 / 7 = 28.6 px: columns 1-6, every row.
        int[] expected = IntStream.range(0, 35).filter(c -> c % 7 != 0).toArray();
        assertArrayEquals(expected, records.get(0).objectCells());
    }

    @Test
    void lensRecordsAreWhatRunComputes() throws IOException {
        List<ExperimentRecord> records = RecordLog.read(lens.resolve("records.jsonl")).records();
        LensRecord first = (LensRecord) records.get(0);
        LensRecord second = (LensRecord) records.get(1);
        assertEquals(List.of(5, 7), List.of(first.gridRows(), first.gridCols()));
        assertEquals(List.of(6, 4), List.of(second.gridRows(), second.gridCols()));
        // Image 1 through `vlmscope run` with the lens question: the same top-1 token at every cell and layer.
        Path picture = images.resolve("1.png");
        Path cache = tmp.resolve("lens.safetensors");
        Cli.Result r = Cli.ok("run", model.toString(), "--image", picture.toString(), "--prompt",
                "Describe the image.", "--lens", "5", "--cache", cache.toString(), "--device", "cpu");
        Matcher m = Pattern.compile("visual tokens (\\d+)-(\\d+)").matcher(r.out());
        assertTrue(m.find(), r.toString());
        int start = Integer.parseInt(m.group(1));
        assertEquals(start + 34, Integer.parseInt(m.group(2)), "35 visual tokens");
        LensSidecar sidecar = LensSidecars.read(lens, first.sidecar());
        try (SafetensorsFile c = SafetensorsFile.open(cache); Tokenizer tokenizer = Tokenizer.load(model)) {
            long[] shape = c.info("lens.top_ids").shape();
            long[] ids = c.toLongArray("lens.top_ids");
            int rows = (int) shape[0];
            int length = (int) shape[2];
            int k = (int) shape[3];
            assertEquals(rows, sidecar.tokens().get(0).size());
            for (int cell = 0; cell < 35; cell++) {
                for (int layer = 0; layer < rows; layer++) {
                    long id = ids[(layer * length + start + cell) * k];
                    String spelled = tokenizer.hasToken(id) ? tokenizer.token(id) : "<id " + id + ">";
                    assertEquals(spelled, sidecar.tokens().get(cell).get(layer).get(0), "cell " + cell + " layer "
                            + layer);
                }
            }
        }
    }

    @Test
    void meanAndAblationRunOnImagesOfDifferentGrids() throws IOException {
        Path mean = tmp.resolve("mean.safetensors");
        Cli.Result m = Cli.ok("mean", model.toString(), "--images", images.toString(), "-o", mean.toString(),
                "--batch", "2", "--device", "cpu");
        // 35 + 24 visual tokens from the two images, in one vision call.
        assertTrue(m.out().contains("mean of 59 visual tokens from 2 images"), m.toString());
        try (SafetensorsFile f = SafetensorsFile.open(mean)) {
            assertEquals("59", f.metadata().get("tokens"));
        }
        Path results = tmp.resolve("ablation");
        Cli.Result a = Cli.ok("ablation", model.toString(), "--dataset", dataset.toString(), "--images",
                images.toString(), "--mean", mean.toString(), "--sets", "object,random-5", "--tasks", "polling",
                "--filter", "none", "--limit", "1", "--device", "cpu", "-o", results.toString());
        assertTrue(a.out().contains("ablation: 1 images (0 resumed), 2 records appended"), a.toString());
    }

    private static String annotation(long id, long imageId, int x0, int y0, int x1, int y1) {
        return "{\"id\": " + id + ", \"image_id\": " + imageId + ", \"category_id\": 17, \"area\": "
                + (x1 - x0) * (y1 - y0) + ", \"iscrowd\": 0, \"bbox\": [" + x0 + ", " + y0 + ", " + (x1 - x0) + ", "
                + (y1 - y0) + "], \"segmentation\": [[" + x0 + ", " + y0 + ", " + x1 + ", " + y0 + ", " + x1 + ", "
                + y1 + ", " + x0 + ", " + y1 + "]]}";
    }
}
