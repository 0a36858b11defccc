package org.vlmscope.runtime.input;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.vlmscope.core.SafetensorsFile;
import org.vlmscope.core.SafetensorsWriter;
import org.vlmscope.core.SafetensorsWriter.NamedTensor;
import org.vlmscope.core.VlmscopeException;
import org.vlmscope.runtime.image.ImageGrid;
import org.vlmscope.runtime.image.QwenFixture;

/**
 * Qwen2-VL's prepared inputs from a file, as Hugging Face's processor writes them: input_ids, pixel_values,
 * image_grid_thw and the fixture's position_ids, which must agree with the runtime's own numbering.
 */
class Qwen2VlInputsFileTest {
    @TempDir
    Path tmp;

    @Test
    void goldenPreparedInputsAreAccepted() {
        ModelInput.Prepared p = prepare(QwenFixture.dir(), null, null);
        assertEquals(List.of(new ImageGrid(1, 12, 16)), p.vision().grids());
        assertArrayEquals(new long[] {192, 1176}, p.vision().pixelValues().shape());
        assertEquals(62, p.length());
        assertEquals(48, p.visualPositions().length);
        assertEquals(7, p.visualPositions()[0]);
    }

    @Test
    void positionIdsOfTheWrongRankOrValuesAreRefused() {
        Path dir = QwenFixture.dir();
        VlmscopeException e = assertThrows(VlmscopeException.class, () -> prepare(dir, new long[] {62}, null));
        assertTrue(e.getMessage().contains("has shape [62]; expected [3, 1, 62] or [3, 62]"), e.getMessage());
        e = assertThrows(VlmscopeException.class, () -> prepare(dir, null, 10));
        assertTrue(e.getMessage().contains("at axis 1, row 0, position 10"), e.getMessage());
    }

    /** The fixture's tensors in an inputs file; position_ids reshaped to {@code shape} or changed at {@code bump}. */
    private ModelInput.Prepared prepare(Path dir, long[] shape, Integer bump) {
        Path file = tmp.resolve("inputs.safetensors");
        try (SafetensorsFile g = SafetensorsFile.open(dir.resolve("expected.safetensors"))) {
            long[] positions = g.toLongArray("position_ids");
            if (bump != null) {
                positions[62 + bump]++;
            }
            List<NamedTensor> tensors = new ArrayList<>();
            tensors.add(NamedTensor.ofLongs("input_ids", new long[] {1, 62}, g.toLongArray("input_ids")));
            tensors.add(NamedTensor.ofFloats("pixel_values", new long[] {192, 1176}, g.toFloatArray("pixel_values")));
            tensors.add(NamedTensor.ofLongs("image_grid_thw", new long[] {1, 3}, g.toLongArray("image_grid_thw")));
            tensors.add(NamedTensor.ofLongs("position_ids", shape != null ? shape : new long[] {3, 62},
                    shape != null ? java.util.Arrays.copyOf(positions, 62) : positions));
            SafetensorsWriter.writeAll(file, Map.of(), tensors);
        }
        return ModelInput.prepare(tmp, QwenFixture.manifest(), InputRequest.file(file, List.of()));
    }
}
