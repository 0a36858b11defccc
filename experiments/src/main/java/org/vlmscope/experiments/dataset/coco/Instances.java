package org.vlmscope.experiments.dataset.coco;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.vlmscope.core.VlmscopeException;

/**
 * A COCO instances file without its segmentations: the images in list order, the category names, and each
 * image's annotations in file order. Building it checks that every annotation names a listed image and category.
 */
public final class Instances {
    private final Path file;
    private final List<CocoImage> images;
    private final Map<Long, String> categories;
    private final Annotations annotations;
    /** Annotations of image {@code i}: {@code byImage[start[i]] .. byImage[start[i + 1] - 1]}, in file order. */
    private final int[] start;
    private final int[] byImage;

    Instances(Path file, List<CocoImage> images, Map<Long, String> categories, Annotations annotations) {
        this.file = file;
        this.images = List.copyOf(images);
        this.categories = Map.copyOf(categories);
        this.annotations = annotations;
        Map<Long, Integer> imageIndex = new HashMap<>(images.size() * 2);
        for (int i = 0; i < images.size(); i++) {
            if (imageIndex.put(images.get(i).id(), i) != null) {
                throw new VlmscopeException(file + ": image " + images.get(i).id() + " (element " + i
                        + " of 'images') repeats an image id: expected each id once");
            }
        }
        int[] imageOf = new int[annotations.size()];
        int[] counts = new int[images.size() + 1];
        for (int a = 0; a < annotations.size(); a++) {
            Integer image = imageIndex.get(annotations.imageId(a));
            if (image == null) {
                throw new VlmscopeException(file + ": annotation " + annotations.id(a) + " (element " + a
                        + " of 'annotations') has image_id " + annotations.imageId(a)
                        + ", which 'images' does not list");
            }
            if (!categories.containsKey(annotations.categoryId(a))) {
                throw new VlmscopeException(file + ": annotation " + annotations.id(a) + " (element " + a
                        + " of 'annotations') has category_id " + annotations.categoryId(a)
                        + ", which 'categories' does not list");
            }
            imageOf[a] = image;
            counts[image + 1]++;
        }
        // A counting sort by image keeps each image's annotations in file order.
        start = new int[images.size() + 1];
        for (int i = 0; i < images.size(); i++) {
            start[i + 1] = start[i] + counts[i + 1];
        }
        int[] next = Arrays.copyOf(start, images.size());
        byImage = new int[annotations.size()];
        for (int a = 0; a < annotations.size(); a++) {
            byImage[next[imageOf[a]]++] = a;
        }
    }

    public Path file() {
        return file;
    }

    public List<CocoImage> images() {
        return images;
    }

    public Annotations annotations() {
        return annotations;
    }

    /** The name of category {@code id}. */
    public String categoryName(long id) {
        return categories.get(id);
    }

    /** The annotation indices (file positions) of image {@code imageIndex}, in file order. */
    public int[] annotationsOf(int imageIndex) {
        return Arrays.copyOfRange(byImage, start[imageIndex], start[imageIndex + 1]);
    }
}
