package org.vlmscope.runtime.image;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.vlmscope.core.DType;
import org.vlmscope.core.SafetensorsWriter.NamedTensor;

/**
 * The images of one run as the vision graph takes them: {@code pixelValues} and, for a family whose grid depends
 * on the image (Qwen2-VL), each image's patch grid in the order of its rows in {@code pixelValues} and of its
 * placeholders in the prompts. {@code grids} is empty for a family with one fixed grid (LLaVA: one
 * [3, H, W] image per prompt row, the grid in the manifest).
 */
public record VisionInput(NamedTensor pixelValues, List<ImageGrid> grids) {
    public VisionInput {
        grids = List.copyOf(grids);
    }

    /** A fixed-grid family's pixel_values, or null for null (a text-only prompt). */
    public static VisionInput of(NamedTensor pixelValues) {
        return pixelValues == null ? null : new VisionInput(pixelValues, List.of());
    }

    /** Whether each image brings its own grid. */
    public boolean variableGrid() {
        return !grids.isEmpty();
    }

    /**
     * Images of variable grids concatenated along their pixel rows, in order: what one vision call takes for
     * several images.
     */
    public static VisionInput concat(List<VisionInput> images) {
        if (images.size() == 1) {
            return images.get(0);
        }
        List<ImageGrid> grids = new ArrayList<>();
        long rows = 0;
        long[] first = images.get(0).pixelValues().shape();
        for (VisionInput image : images) {
            long[] shape = image.pixelValues().shape();
            if (!image.variableGrid() || shape.length != 2 || shape[1] != first[1]
                    || image.pixelValues().dtype() != DType.F32) {
                throw new IllegalArgumentException("only float32 pixel rows of one width concatenate; got "
                        + Arrays.toString(shape));
            }
            grids.addAll(image.grids());
            rows += shape[0];
        }
        ByteBuffer all = ByteBuffer.allocate(Math.toIntExact(rows * first[1] * Float.BYTES));
        for (VisionInput image : images) {
            all.put(image.pixelValues().data().duplicate());
        }
        all.flip();
        return new VisionInput(new NamedTensor(images.get(0).pixelValues().name(), DType.F32,
                new long[] {rows, first[1]}, all), grids);
    }
}
