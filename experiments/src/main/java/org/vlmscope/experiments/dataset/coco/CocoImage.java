package org.vlmscope.experiments.dataset.coco;

/** One entry of a COCO instances file's {@code images} list. */
public record CocoImage(long id, String fileName, int width, int height) {
}
