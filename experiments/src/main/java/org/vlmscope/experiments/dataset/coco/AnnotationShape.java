package org.vlmscope.experiments.dataset.coco;

/**
 * What an annotation covers: its segmentation and its {@code bbox} ([x, y, width, height], or null when the
 * file has none; the paper's code uses it to decide whether the object survives the crop).
 */
public record AnnotationShape(Segmentation segmentation, double[] bbox) {
}
