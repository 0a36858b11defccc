package org.vlmscope.experiments.dataset.coco;

import java.util.Arrays;

/**
 * The scalar fields of every annotation of an instances file, in file order, in primitive arrays: 860k
 * annotations take about 30 MB here, where their segmentations take hundreds. Segmentations are read only for
 * the annotations that need them ({@link InstancesReader#segmentations}).
 */
public final class Annotations {
    private long[] ids = new long[1024];
    private long[] imageIds = new long[1024];
    private long[] categoryIds = new long[1024];
    private double[] areas = new double[1024];
    private boolean[] crowd = new boolean[1024];
    private int size;

    void add(long id, long imageId, long categoryId, double area, boolean isCrowd) {
        if (size == ids.length) {
            int n = size * 2;
            ids = Arrays.copyOf(ids, n);
            imageIds = Arrays.copyOf(imageIds, n);
            categoryIds = Arrays.copyOf(categoryIds, n);
            areas = Arrays.copyOf(areas, n);
            crowd = Arrays.copyOf(crowd, n);
        }
        ids[size] = id;
        imageIds[size] = imageId;
        categoryIds[size] = categoryId;
        areas[size] = area;
        crowd[size] = isCrowd;
        size++;
    }

    /** The number of annotations. */
    public int size() {
        return size;
    }

    /** The {@code id} of the annotation at {@code index} (its position in the file). */
    public long id(int index) {
        return ids[index];
    }

    public long imageId(int index) {
        return imageIds[index];
    }

    public long categoryId(int index) {
        return categoryIds[index];
    }

    public double area(int index) {
        return areas[index];
    }

    public boolean crowd(int index) {
        return crowd[index];
    }
}
