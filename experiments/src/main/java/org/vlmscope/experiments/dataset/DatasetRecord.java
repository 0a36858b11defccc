package org.vlmscope.experiments.dataset;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import org.vlmscope.experiments.dataset.geometry.TokenGrid;

/**
 * One line of a dataset file: an image considered by the filter, kept or not and why, and for a kept image the
 * target object, the crop ({@code [left, top, size]} in original pixels), the token grid's side, and the object
 * cells with their one- and two-step buffers (visual token indices, row-major, ascending; each buffer includes
 * the cells it grows from). Fields that do not apply are left out.
 *
 * <p>For a model whose grid follows each image (Qwen2-VL) there is no crop (the whole image is seen), {@code grid}
 * is 0 and {@code rows}/{@code cols} give the image's own grid; files of fixed-grid models have no rows/cols, as
 * before they existed.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
@JsonIgnoreProperties(ignoreUnknown = true)
@JsonPropertyOrder({"image_id", "file", "width", "height", "kept", "why", "annotation_id", "category_id", "object",
        "area", "crop", "grid", "rows", "cols", "fidelity", "object_cells", "buffer1", "buffer2"})
public record DatasetRecord(
        @JsonProperty("image_id") long imageId,
        @JsonProperty("file") String file,
        @JsonProperty("width") int width,
        @JsonProperty("height") int height,
        @JsonProperty("kept") boolean kept,
        @JsonProperty("why") String why,
        @JsonProperty("annotation_id") Long annotationId,
        @JsonProperty("category_id") Long categoryId,
        @JsonProperty("object") String object,
        @JsonProperty("area") Double area,
        @JsonProperty("crop") int[] crop,
        @JsonProperty("grid") int grid,
        @JsonProperty("rows") Integer rows,
        @JsonProperty("cols") Integer cols,
        @JsonProperty("fidelity") String fidelity,
        @JsonProperty("object_cells") int[] objectCells,
        @JsonProperty("buffer1") int[] buffer1,
        @JsonProperty("buffer2") int[] buffer2) {

    /** A record of a fixed-grid model ({@code grid x grid} over the crop). */
    public DatasetRecord(long imageId, String file, int width, int height, boolean kept, String why,
            Long annotationId, Long categoryId, String object, Double area, int[] crop, int grid, String fidelity,
            int[] objectCells, int[] buffer1, int[] buffer2) {
        this(imageId, file, width, height, kept, why, annotationId, categoryId, object, area, crop, grid, null, null,
                fidelity, objectCells, buffer1, buffer2);
    }

    /** This record with its object cells and their buffers. */
    public DatasetRecord withCells(int[] cells, int[] oneStep, int[] twoSteps) {
        return new DatasetRecord(imageId, file, width, height, kept, why, annotationId, categoryId, object, area, crop,
                grid, rows, cols, fidelity, cells, oneStep, twoSteps);
    }

    /** This record, rejected for {@code reason} (the target fields stay, the cells go). */
    public DatasetRecord rejected(String reason) {
        return new DatasetRecord(imageId, file, width, height, false, reason, annotationId, categoryId, object, area,
                crop, grid, rows, cols, fidelity, null, null, null);
    }

    /** The token grid the cells index: {@code rows x cols} when given, else {@code grid x grid}. */
    public TokenGrid tokenGrid() {
        return rows != null && cols != null ? new TokenGrid(rows, cols) : new TokenGrid(grid);
    }

    /** The part of the image the model sees, {left, top, width, height} in original pixels: the crop, else all. */
    public int[] region() {
        return crop != null ? new int[] {crop[0], crop[1], crop[2], crop[2]} : new int[] {0, 0, width, height};
    }
}
