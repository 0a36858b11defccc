package org.vlmscope.runtime.family;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.vlmscope.core.DType;
import org.vlmscope.core.ModelManifest;
import org.vlmscope.core.SafetensorsWriter.NamedTensor;
import org.vlmscope.core.VlmscopeException;
import org.vlmscope.core.vocab.GraphNames;
import org.vlmscope.runtime.image.ImageDecoder;
import org.vlmscope.runtime.image.ImageGrid;
import org.vlmscope.runtime.image.QwenFixture;
import org.vlmscope.runtime.image.TokenGrid;
import org.vlmscope.runtime.image.VisionInput;
import org.vlmscope.runtime.text.PromptTemplates.Fidelity;
import org.vlmscope.runtime.text.PromptTemplates.Variant;
import org.vlmscope.runtime.text.Sequence;

/** The Qwen2-VL family without graphs: its template, grids, placeholder expansion, vision feeds and feature split. */
class Qwen2VlRuntimeTest {
    private static final long IMAGE = 1244;
    private static final Qwen2VlRuntime QWEN = new Qwen2VlRuntime();

    static ModelManifest manifest() {
        return QwenFixture.manifest();
    }

    @Test
    void registeredUnderItsManifestName() {
        assertTrue(RuntimeFamilies.of(manifest()) instanceof Qwen2VlRuntime);
    }

    /**
     * Without a chat template in the model directory, Qwen2-VL-Instruct's (see Qwen2VlChatTest): its default system
     * turn, one user turn with the images first, the answer opened; the VQA variant continues with the answer start.
     */
    @Test
    void chatTemplatePlacesTheImagesBeforeTheQuestion(@TempDir Path modelDir) {
        var chat = QWEN.promptTemplate(modelDir, manifest(), Variant.GENERATIVE, Fidelity.PAPER, 1);
        assertEquals("<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n<|im_start|>user\n"
                + "<|vision_start|><|image_pad|><|vision_end|>What is this?<|im_end|>\n<|im_start|>assistant\n",
                chat.render("What is this?"));
        assertTrue(chat.hasImage());
        assertTrue(QWEN.promptTemplate(modelDir, manifest(), Variant.VQA, Fidelity.CODE, 1).render("Q")
                .endsWith("assistant\nIt is a"));
        assertTrue(QWEN.promptTemplate(modelDir, manifest(), Variant.GENERATIVE, Fidelity.PAPER, 2).render("Q")
                .contains("user\n<|vision_start|><|image_pad|><|vision_end|><|vision_start|><|image_pad|>"
                        + "<|vision_end|>Q<|im_end|>"));
    }

    /**
     * The fixture's image (a 12x16 patch grid) gives a 6x8 grid of visual tokens; on it the fixture's "region"
     * ablation case, visual indices 19-22, 27-30, 35-38, is rows 2-4 by columns 3-6, at positions 26-29, 34-37,
     * 42-45 of its input_ids (the manifest's sequence_positions).
     */
    @Test
    void goldenImageGridAndSequence() throws IOException {
        var dir = QwenFixture.dir();
        VisionInput vision = QWEN.imageProcessor(dir.resolve("model")).vision(ImageDecoder.read(dir.resolve("image.png")));
        List<TokenGrid> grids = QWEN.tokenGrids(manifest(), vision);
        assertEquals(List.of(new TokenGrid(6, 8)), grids);
        JsonNode m = new ObjectMapper().readTree(dir.resolve("manifest.json").toFile());
        long[] ids = new ObjectMapper().convertValue(m.get("sequence").get("input_ids"), long[].class);
        Sequence seq = Sequence.ofExpanded(ids, IMAGE, grids.get(0));
        assertEquals(m.get("sequence").get("visual_start").asInt(), seq.start());
        assertEquals(m.get("sequence").get("visual_grid_width").asInt(), seq.gridWidth());
        JsonNode region = m.get("ablation").get("cases").get(0);
        int[] visual = new ObjectMapper().convertValue(region.get("visual_indices"), int[].class);
        int[] positions = new ObjectMapper().convertValue(region.get("sequence_positions"), int[].class);
        for (int k = 0; k < visual.length; k++) {
            assertEquals(positions[k], seq.position(visual[k]));
            Sequence.Cell cell = seq.cell(visual[k]);
            assertTrue(cell.row() >= 2 && cell.row() <= 4 && cell.col() >= 3 && cell.col() <= 6, cell.toString());
            assertEquals(positions[k], seq.position(cell.row(), cell.col()));
        }
        // Bare ids are already expanded: they stay as they are.
        assertArrayEquals(ids, QWEN.expandImages(manifest(), new long[][] {ids}, vision)[0]);
    }

    @Test
    void placeholdersExpandToEachImagesTokensInOrder() {
        VisionInput two = twoImages();
        long[][] rows = {{7, 1242, IMAGE, 1243, 8}, {1242, IMAGE, 1243}};
        long[][] out = QWEN.expandImages(manifest(), rows, two);
        assertArrayEquals(new long[] {7, 1242, IMAGE, IMAGE, IMAGE, IMAGE, 1243, 8}, out[0]);
        assertArrayEquals(new long[] {1242, IMAGE, IMAGE, 1243}, out[1]);
        VlmscopeException e = assertThrows(VlmscopeException.class, () -> QWEN.expandImages(manifest(),
                new long[][] {{1242, IMAGE, IMAGE, IMAGE, 1243}, {1242, IMAGE, 1243}}, two));
        assertTrue(e.getMessage().contains("holds 3 image tokens") && e.getMessage().contains("exactly 4"), e.getMessage());
        e = assertThrows(VlmscopeException.class, () -> QWEN.expandImages(manifest(), new long[][] {{1242, IMAGE}}, two));
        assertTrue(e.getMessage().contains("2 images were given"), e.getMessage());
    }

    @Test
    void visionFeedsAndShapeCheck() {
        VisionInput two = twoImages();
        List<NamedTensor> feeds = QWEN.visionFeeds(manifest(), two);
        assertEquals(List.of(GraphNames.PIXEL_VALUES, GraphNames.VISION_POSITION_IDS, GraphNames.VISION_SEGMENT_IDS),
                feeds.stream().map(NamedTensor::name).toList());
        assertArrayEquals(new long[] {24, 2}, feeds.get(1).shape());
        assertArrayEquals(new long[] {24}, feeds.get(2).shape());
        QWEN.checkVision(manifest(), two, new long[0][]);
        VisionInput wrong = new VisionInput(NamedTensor.ofFloats("pixel_values", new long[] {23, 1176},
                new float[23 * 1176]), two.grids());
        VlmscopeException e = assertThrows(VlmscopeException.class, () -> QWEN.checkVision(manifest(), wrong, new long[0][]));
        assertTrue(e.getMessage().contains("[24, 1176]"), e.getMessage());
    }

    /** Features [5, 2] split over rows with 4 and 1 image tokens: row 1 takes feature 4, padded with zeros. */
    @Test
    void featuresAreSplitOverTheRowsAndPadded() {
        float[] f = {0, 0, 1, 1, 2, 2, 3, 3, 4, 4};
        NamedTensor features = NamedTensor.ofFloats(GraphNames.IMAGE_FEATURES, new long[] {5, 2}, f);
        long[][] ids = {{1242, IMAGE, IMAGE, IMAGE, IMAGE, 1243}, {1249, 1249, 1249, 1242, IMAGE, 1243}};
        NamedTensor out = QWEN.imageFeatures(manifest(), features, ids);
        assertEquals(DType.F32, out.dtype());
        assertArrayEquals(new long[] {2, 4, 2}, out.shape());
        float[] got = new float[16];
        out.data().duplicate().order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(got);
        assertArrayEquals(new float[] {0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 0, 0, 0, 0, 0, 0}, got);
    }

    private static VisionInput twoImages() {
        // Patch grids 4x4 and 2x4: 2x2 = 4 and 1x2 = 2 visual tokens, 16 + 8 pixel rows.
        VisionInput a = new VisionInput(NamedTensor.ofFloats("pixel_values", new long[] {16, 1176},
                new float[16 * 1176]), List.of(new ImageGrid(1, 4, 4)));
        VisionInput b = new VisionInput(NamedTensor.ofFloats("pixel_values", new long[] {8, 1176},
                new float[8 * 1176]), List.of(new ImageGrid(1, 2, 4)));
        return VisionInput.concat(List.of(a, b));
    }
}
