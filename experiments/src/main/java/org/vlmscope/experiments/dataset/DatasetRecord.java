package org.vlmscope.experiments.dataset;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;

/**
 * One line of a dataset file: an image considered by the filter, kept or not and why, and for a kept image the
 * target object, the crop ({@code [left, top, size]} in original pixels), the token grid's side, and the object
 * cells with their one- and two-step buffers (visual token indices, row-major, ascending; each buffer includes
 * the cells it grows from). Fields that do not apply are left out.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
@JsonIgnoreProperties(ignoreUnknown = true)
@JsonPropertyOrder({"image_id", "file", "width", "height", "kept", "why", "annotation_id", "category_id", "object",
        "area", "crop", "grid", "fidelity", "object_cells", "buffer1", "buffer2"})
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
        @JsonProperty("fidelity") String fidelity,
        @JsonProperty("object_cells") int[] objectCells,
        @JsonProperty("buffer1") int[] buffer1,
        @JsonProperty("buffer2") int[] buffer2) {

    /** This record with its object cells and their buffers. */
    public DatasetRecord withCells(int[] cells, int[] oneStep, int[] twoSteps) {
        return new DatasetRecord(imageId, file, width, height, kept, why, annotationId, categoryId, object, area, crop,
                grid, fidelity, cells, oneStep, twoSteps);
    }

    /** This record, rejected for {@code reason} (the target fields stay, the cells go). */
    public DatasetRecord rejected(String reason) {
        return new DatasetRecord(imageId, file, width, height, false, reason, annotationId, categoryId, object, area,
                crop, grid, fidelity, null, null, null);
    }
}
