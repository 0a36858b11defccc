package org.vlmscope.runtime.family;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.vlmscope.core.SafetensorsFile;
import org.vlmscope.core.VlmscopeException;
import org.vlmscope.runtime.image.ImageGrid;
import org.vlmscope.runtime.image.QwenFixture;

/**
 * Qwen2-VL's get_rope_index against the qwen2vl-dev fixture (HF computed position_ids [3, 62] and rope_delta -40)
 * and against small cases numbered by hand; RopeDeltas' decode continuation for both position families.
 */
class MultimodalRopePositionsTest {
    private static final long T = 5;   // any text token
    private static final long S = 90;  // <|vision_start|>
    private static final long I = 91;  // <|image_pad|>
    private static final long E = 92;  // <|vision_end|>
    private static final long P = 99;  // padding
    private static final MultimodalRopePositions ROPE = new MultimodalRopePositions(I, S, 2);

    @Test
    void goldenPromptPositionsAndDelta() throws IOException {
        Path dir = QwenFixture.dir();
        JsonNode m = new ObjectMapper().readTree(dir.resolve("manifest.json").toFile());
        JsonNode seq = m.get("sequence");
        long[] ids = new long[seq.get("input_ids").size()];
        for (int i = 0; i < ids.length; i++) {
            ids[i] = seq.get("input_ids").get(i).asLong();
        }
        JsonNode thw = m.get("image").get("grid_thw");
        ImageGrid grid = new ImageGrid(thw.get(0).asInt(), thw.get(1).asInt(), thw.get(2).asInt());
        // The fixture's config: image_token_id 1244, vision_start_token_id 1242, spatial merge 2 (the default).
        MultimodalRopePositions rope = new MultimodalRopePositions(seq.get("image_token_id").asLong(), 1242, 2);
        long[][][] pos = rope.prompt(new long[][] {ids}, new int[] {0}, List.of(grid));
        try (SafetensorsFile expected = SafetensorsFile.open(dir.resolve("expected.safetensors"))) {
            assertArrayEquals(new long[] {3, 62}, expected.info("position_ids").shape());
            long[] want = expected.toLongArray("position_ids");
            for (int axis = 0; axis < 3; axis++) {
                for (int i = 0; i < 62; i++) {
                    assertEquals(want[axis * 62 + i], pos[axis][0][i], "axis " + axis + " position " + i);
                }
            }
        }
        long[][][] next = RopeDeltas.of(pos, new int[] {0}).at(62);
        // rope_delta -40: the first generated token (padded index 62) sits at 22 on every axis.
        long delta = seq.get("rope_delta").asLong();
        for (int axis = 0; axis < 3; axis++) {
            assertEquals(62 + delta, next[axis][0][0]);
        }
    }

    /**
     * [T, S, 6 image tokens, E, T, T] with a 4x6 patch grid (2x3 merged): T 0, S 1, the image starts at 2 and
     * takes (2, 2 + h, 2 + w) for h in 0..1, w in 0..2 (largest 4), E 5, T 6, T 7; delta = 7 + 1 - 11 = -3.
     */
    @Test
    void textBeforeAndAfterOneImage() {
        long[] ids = {T, S, I, I, I, I, I, I, E, T, T};
        long[][][] pos = ROPE.prompt(new long[][] {ids}, new int[] {0}, List.of(new ImageGrid(1, 4, 6)));
        assertArrayEquals(new long[] {0, 1, 2, 2, 2, 2, 2, 2, 5, 6, 7}, pos[0][0]);
        assertArrayEquals(new long[] {0, 1, 2, 2, 2, 3, 3, 3, 5, 6, 7}, pos[1][0]);
        assertArrayEquals(new long[] {0, 1, 2, 3, 4, 2, 3, 4, 5, 6, 7}, pos[2][0]);
        long[][][] next = RopeDeltas.of(pos, new int[] {0}).at(11);
        assertEquals(8, next[1][0][0]);
        assertEquals(9, RopeDeltas.of(pos, new int[] {0}).at(12)[2][0][0]);
    }

    /**
     * Two rows, two images in batch order. Row 0 is left-padded by 2: [P, P, S, 4 image tokens (4x4 grid, 2x2
     * merged), E, T]: padding 1, S 0, image at 1 + (h, w) (largest 2), E 3, T 4; delta = 4 + 1 - 9 = -4.
     * Row 1: [T, S, 1 image token (2x2 grid), E, T x5]: T 0, S 1, image (2, 2, 2), E 3, T 4..8; delta 0.
     */
    @Test
    void twoImagesOverLeftPaddedRows() {
        long[][] ids = {{P, P, S, I, I, I, I, E, T}, {T, S, I, E, T, T, T, T, T}};
        int[] padding = {2, 0};
        long[][][] pos = ROPE.prompt(ids, padding, List.of(new ImageGrid(1, 4, 4), new ImageGrid(1, 2, 2)));
        assertArrayEquals(new long[] {1, 1, 0, 1, 1, 1, 1, 3, 4}, pos[0][0]);
        assertArrayEquals(new long[] {1, 1, 0, 1, 1, 2, 2, 3, 4}, pos[1][0]);
        assertArrayEquals(new long[] {1, 1, 0, 1, 2, 1, 2, 3, 4}, pos[2][0]);
        for (int axis = 0; axis < 3; axis++) {
            assertArrayEquals(new long[] {0, 1, 2, 3, 4, 5, 6, 7, 8}, pos[axis][1]);
        }
        long[][][] next = RopeDeltas.of(pos, padding).at(9);
        assertEquals(5, next[0][0][0]);
        assertEquals(9, next[0][1][0]);
    }

    /** Two images in one row: the second starts one past the first image's largest position plus the text between. */
    @Test
    void twoImagesInOneRow() {
        long[] ids = {S, I, E, T, S, I, I, E};
        long[][][] pos = ROPE.prompt(new long[][] {ids}, new int[] {0},
                List.of(new ImageGrid(1, 2, 2), new ImageGrid(1, 2, 4)));
        // S 0, image 1 at (1,1,1), E 2, T 3, S 4, image 2 at (5, 5, 5 + w) for w in 0..1, E 7.
        assertArrayEquals(new long[] {0, 1, 2, 3, 4, 5, 5, 7}, pos[0][0]);
        assertArrayEquals(new long[] {0, 1, 2, 3, 4, 5, 5, 7}, pos[1][0]);
        assertArrayEquals(new long[] {0, 1, 2, 3, 4, 5, 6, 7}, pos[2][0]);
    }

    /**
     * get_rope_index by hand for {@code [T, T, S, 6 image tokens, E, T, T, S, 2 image tokens, E, T]}, patch grids
     * 4x6 and 2x4 (2x3 and 1x2 after the 2x2 merge). Image 1: st 0, its first image token at 3, so the text before
     * it (T, T, S) takes 0-2 and the image starts at 0 + 3 = 3: (3, 3 + h, 3 + w), h 0-1, w 0-2; st moves to 9.
     * Image 2: its first image token at 13, text_len 13 - 9 = 4 (E, T, T, S) from st_idx = max(image 1) + 1 = 6:
     * 6-9; the image starts at 6 + 4 = 10: (10, 10, 10 + w), w 0-1; st moves to 15. The text after it (E, T)
     * starts at max(image 2) + 1 = 12: 12, 13. rope_delta = 13 + 1 - 17 = -3, so the next token takes 17 - 3 = 14.
     */
    @Test
    void twoImagesInOneRowWithTextBetween() {
        long[] ids = {T, T, S, I, I, I, I, I, I, E, T, T, S, I, I, E, T};
        long[][][] pos = ROPE.prompt(new long[][] {ids}, new int[] {0},
                List.of(new ImageGrid(1, 4, 6), new ImageGrid(1, 2, 4)));
        assertArrayEquals(new long[] {0, 1, 2, 3, 3, 3, 3, 3, 3, 6, 7, 8, 9, 10, 10, 12, 13}, pos[0][0]);
        assertArrayEquals(new long[] {0, 1, 2, 3, 3, 3, 4, 4, 4, 6, 7, 8, 9, 10, 10, 12, 13}, pos[1][0]);
        assertArrayEquals(new long[] {0, 1, 2, 3, 4, 5, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13}, pos[2][0]);
        for (long[][] axis : RopeDeltas.of(pos, new int[] {0}).at(17)) {
            assertEquals(14, axis[0][0]);
        }
        // Left-padded by 2 in a batch, the row's own tokens take the same positions and padding takes 1.
        long[] padded = new long[ids.length + 2];
        padded[0] = P;
        padded[1] = P;
        System.arraycopy(ids, 0, padded, 2, ids.length);
        long[][][] shifted = ROPE.prompt(new long[][] {padded}, new int[] {2},
                List.of(new ImageGrid(1, 4, 6), new ImageGrid(1, 2, 4)));
        for (int axis = 0; axis < 3; axis++) {
            assertEquals(1, shifted[axis][0][0]);
            assertEquals(1, shifted[axis][0][1]);
            assertArrayEquals(pos[axis][0], java.util.Arrays.copyOfRange(shifted[axis][0], 2, padded.length));
        }
    }

    @Test
    void textOnlyRowsCountFromZeroAfterPadding() {
        long[][][] pos = ROPE.prompt(new long[][] {{P, T, T}}, new int[] {1}, List.of());
        for (long[][] axis : pos) {
            assertArrayEquals(new long[] {1, 0, 1}, axis[0]);
        }
    }

    @Test
    void aGridThatDoesNotMatchItsImageTokensIsRefused() {
        VlmscopeException e = assertThrows(VlmscopeException.class, () -> ROPE.prompt(
                new long[][] {{S, I, I, I, I, I, E}}, new int[] {0}, List.of(new ImageGrid(1, 4, 4))));
        assertTrue(e.getMessage().contains("5 image tokens") && e.getMessage().contains("makes 4 visual tokens"),
                e.getMessage());
        e = assertThrows(VlmscopeException.class, () -> ROPE.prompt(new long[][] {{S, I, E}}, new int[] {0},
                List.of(new ImageGrid(1, 2, 2), new ImageGrid(1, 2, 2))));
        assertTrue(e.getMessage().contains("2 image grids were given"), e.getMessage());
        e = assertThrows(VlmscopeException.class, () -> ROPE.prompt(new long[][] {{T, I, E}}, new int[] {0},
                List.of()));
        assertTrue(e.getMessage().contains("outside every image's run"), e.getMessage());
    }

    /** LLaVA's positions are unchanged: 1 on padding, 0.. after it, and decoding continues at length - padding. */
    @Test
    void sequentialPositionsContinueAtLengthMinusPadding() {
        int[] padding = {2, 0};
        long[][][] pos = new SequentialPositions().prompt(new long[2][5], padding, List.of());
        assertEquals(1, pos.length);
        assertArrayEquals(new long[] {1, 1, 0, 1, 2}, pos[0][0]);
        assertArrayEquals(new long[] {0, 1, 2, 3, 4}, pos[0][1]);
        RopeDeltas d = RopeDeltas.of(pos, padding);
        assertEquals(3, d.at(5)[0][0][0]);
        assertEquals(5, d.at(5)[0][1][0]);
        assertEquals(4, d.at(6)[0][0][0]);
    }

    /** A 4x4 patch grid in merge-window order, then a second image's rows with segment id 1. */
    @Test
    void visionPositionAndSegmentIds() {
        List<ImageGrid> grids = List.of(new ImageGrid(1, 4, 4), new ImageGrid(1, 2, 2));
        long[][] pos = Qwen2VlVisionInputs.positionIds(grids, 2);
        long[][] want = {{0, 0}, {0, 1}, {1, 0}, {1, 1}, {0, 2}, {0, 3}, {1, 2}, {1, 3},
            {2, 0}, {2, 1}, {3, 0}, {3, 1}, {2, 2}, {2, 3}, {3, 2}, {3, 3},
            {0, 0}, {0, 1}, {1, 0}, {1, 1}};
        assertEquals(want.length, pos.length);
        for (int r = 0; r < want.length; r++) {
            assertArrayEquals(want[r], pos[r], "row " + r);
        }
        long[] seg = Qwen2VlVisionInputs.segmentIds(grids);
        assertArrayEquals(new long[] {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1}, seg);
    }
}
