package org.vlmscope.experiments.dataset;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.vlmscope.experiments.dataset.coco.Annotations;

/**
 * The paper's simple-image rule (EXPERIMENTS.md, Dataset step 1): an image with more than
 * {@code maxAnnotations} annotations of any kind (crowd included) is rejected; otherwise its annotations are
 * grouped by category in order of first appearance, and the first category with exactly one instance whose
 * {@code area} lies in {@code area} is the target.
 */
public record CocoFilter(int maxAnnotations, AreaRange area) {
    /** Table 1 and 2: at most 3 annotations, target area strictly between 1000 and 2000. */
    public static final CocoFilter ABLATION = new CocoFilter(3, AreaRange.open(1000, 2000));
    /** The logit lens (Section 4.1): exactly one annotation, area from 20000 to 30000 inclusive. */
    public static final CocoFilter LENS = new CocoFilter(1, AreaRange.closed(20000, 30000));

    public static final String NO_TARGET = "no single-instance object in the area range";

    public CocoFilter {
        if (maxAnnotations < 1) {
            throw new IllegalArgumentException("maxAnnotations must be at least 1, got " + maxAnnotations);
        }
    }

    /** The preset called {@code name} (ablation or lens). */
    public static CocoFilter preset(String name) {
        return switch (name) {
            case "ablation" -> ABLATION;
            case "lens" -> LENS;
            default -> throw new IllegalArgumentException("unknown preset '" + name + "': expected ablation or lens");
        };
    }

    /** The names {@link #preset} accepts. */
    public static List<String> presets() {
        return List.of("ablation", "lens");
    }

    /** The reason an image with more annotations than allowed is rejected. */
    public String tooManyReason() {
        return "more than " + maxAnnotations + (maxAnnotations == 1 ? " annotation" : " annotations");
    }

    /**
     * The target among an image's annotations ({@code indices} into {@code annotations}, in file order): its
     * index, or -1 with {@link #rejection} saying why there is none.
     */
    public int target(Annotations annotations, int[] indices) {
        if (indices.length > maxAnnotations) {
            return -1;
        }
        Map<Long, int[]> groups = new LinkedHashMap<>();
        for (int a : indices) {
            int[] group = groups.computeIfAbsent(annotations.categoryId(a), c -> new int[] {a, 0});
            group[1]++;
        }
        for (int[] group : groups.values()) {
            if (group[1] == 1 && area.contains(annotations.area(group[0]))) {
                return group[0];
            }
        }
        return -1;
    }

    /** Why {@link #target} found none for an image with {@code annotationCount} annotations. */
    public String rejection(int annotationCount) {
        return annotationCount > maxAnnotations ? tooManyReason() : NO_TARGET;
    }
}
