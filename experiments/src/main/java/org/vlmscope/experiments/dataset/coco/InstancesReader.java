package org.vlmscope.experiments.dataset.coco;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.vlmscope.core.VlmscopeException;
import org.vlmscope.experiments.ProgressListener;

/**
 * Reads a COCO instances file with Jackson's streaming parser, so that train2017's 450 MB never sit in memory as
 * a tree. {@link #read} makes one pass for the images, categories and the scalar fields of every annotation,
 * checking only the kind of each segmentation; {@link #segmentations} makes a second pass that parses the
 * segmentations of the few annotations asked for. Every error names the file, the record and what was expected.
 */
public final class InstancesReader {
    private static final JsonFactory JSON = new JsonFactory();
    private static final String IMAGES = "images";
    private static final String ANNOTATIONS = "annotations";
    private static final String CATEGORIES = "categories";
    private static final String TASK_READ = "reading annotations";
    private static final String TASK_SHAPES = "reading segmentations";

    private InstancesReader() {
    }

    /** The images, categories and annotations of {@code file}, checked for consistency. */
    public static Instances read(Path file, ProgressListener progress) {
        long size = sizeOf(file);
        List<CocoImage> images = null;
        Map<Long, String> categories = null;
        Annotations annotations = null;
        try (JsonParser p = open(file)) {
            Cursor in = new Cursor(file, p, progress, TASK_READ, size);
            in.expectTopObject();
            while (p.nextToken() == JsonToken.FIELD_NAME) {
                String field = p.currentName();
                p.nextToken();
                switch (field) {
                    case IMAGES -> images = readImages(in);
                    case CATEGORIES -> categories = readCategories(in);
                    case ANNOTATIONS -> annotations = readAnnotations(in);
                    default -> p.skipChildren();
                }
            }
            progress.report(TASK_READ, size, size);
        } catch (JsonProcessingException e) {
            throw notJson(file, e);
        } catch (IOException e) {
            throw new VlmscopeException("cannot read " + file + ": " + e.getMessage(), e);
        }
        requireKey(file, images, IMAGES);
        requireKey(file, annotations, ANNOTATIONS);
        requireKey(file, categories, CATEGORIES);
        return new Instances(file, images, categories, annotations);
    }

    /**
     * The segmentation and bounding box of each annotation whose index (file position) is set in {@code wanted},
     * keyed by that index.
     */
    public static Map<Integer, AnnotationShape> segmentations(Instances instances, BitSet wanted,
            ProgressListener progress) {
        Map<Integer, AnnotationShape> shapes = new HashMap<>();
        if (wanted.isEmpty()) {
            return shapes;
        }
        Path file = instances.file();
        long size = sizeOf(file);
        try (JsonParser p = open(file)) {
            Cursor in = new Cursor(file, p, progress, TASK_SHAPES, size);
            in.expectTopObject();
            while (p.nextToken() == JsonToken.FIELD_NAME) {
                String field = p.currentName();
                p.nextToken();
                if (!field.equals(ANNOTATIONS)) {
                    p.skipChildren();
                    continue;
                }
                int index = 0;
                while (p.nextToken() != JsonToken.END_ARRAY) {
                    if (wanted.get(index)) {
                        shapes.put(index, readShape(in, instances.annotations().id(index)));
                    } else {
                        p.skipChildren();
                    }
                    in.tick();
                    index++;
                }
            }
            progress.report(TASK_SHAPES, size, size);
        } catch (JsonProcessingException e) {
            throw notJson(file, e);
        } catch (IOException e) {
            throw new VlmscopeException("cannot read " + file + ": " + e.getMessage(), e);
        }
        return shapes;
    }

    private static List<CocoImage> readImages(Cursor in) throws IOException {
        in.expectArray(IMAGES);
        List<CocoImage> images = new ArrayList<>();
        JsonParser p = in.parser;
        while (p.nextToken() != JsonToken.END_ARRAY) {
            String record = "element " + images.size() + " of 'images'";
            in.expectObject(record);
            Long id = null;
            String fileName = null;
            Integer width = null;
            Integer height = null;
            while (p.nextToken() == JsonToken.FIELD_NAME) {
                String field = p.currentName();
                JsonToken value = p.nextToken();
                switch (field) {
                    case "id" -> id = in.integer(record, field, value);
                    case "file_name" -> fileName = in.string(record, field, value);
                    case "width" -> width = in.positiveInt(record, field, value);
                    case "height" -> height = in.positiveInt(record, field, value);
                    default -> p.skipChildren();
                }
            }
            String named = id == null ? record : "image " + id + " (" + record + ")";
            in.require(named, "id", id);
            in.require(named, "file_name", fileName);
            in.require(named, "width", width);
            in.require(named, "height", height);
            images.add(new CocoImage(id, fileName, width, height));
            in.tick();
        }
        return images;
    }

    private static Map<Long, String> readCategories(Cursor in) throws IOException {
        in.expectArray(CATEGORIES);
        Map<Long, String> names = new LinkedHashMap<>();
        JsonParser p = in.parser;
        int index = 0;
        while (p.nextToken() != JsonToken.END_ARRAY) {
            String record = "element " + index + " of 'categories'";
            in.expectObject(record);
            Long id = null;
            String name = null;
            while (p.nextToken() == JsonToken.FIELD_NAME) {
                String field = p.currentName();
                JsonToken value = p.nextToken();
                switch (field) {
                    case "id" -> id = in.integer(record, field, value);
                    case "name" -> name = in.string(record, field, value);
                    default -> p.skipChildren();
                }
            }
            in.require(record, "id", id);
            in.require("category " + id + " (" + record + ")", "name", name);
            names.put(id, name);
            index++;
        }
        return names;
    }

    private static Annotations readAnnotations(Cursor in) throws IOException {
        in.expectArray(ANNOTATIONS);
        Annotations annotations = new Annotations();
        JsonParser p = in.parser;
        while (p.nextToken() != JsonToken.END_ARRAY) {
            String record = "element " + annotations.size() + " of 'annotations'";
            in.expectObject(record);
            Long id = null;
            Long imageId = null;
            Long categoryId = null;
            Double area = null;
            boolean crowd = false;
            JsonToken segmentation = null;
            JsonLocation segmentationAt = null;
            while (p.nextToken() == JsonToken.FIELD_NAME) {
                String field = p.currentName();
                JsonToken value = p.nextToken();
                switch (field) {
                    case "id" -> id = in.integer(record, field, value);
                    case "image_id" -> imageId = in.integer(record, field, value);
                    case "category_id" -> categoryId = in.integer(record, field, value);
                    case "area" -> area = in.number(record, field, value);
                    case "iscrowd" -> crowd = in.integer(record, field, value) != 0;
                    case "segmentation" -> {
                        segmentation = value;
                        segmentationAt = p.currentTokenLocation();
                        p.skipChildren();
                    }
                    default -> p.skipChildren();
                }
            }
            String named = id == null ? record : "annotation " + id + " (" + record + ")";
            in.require(named, "id", id);
            in.require(named, "image_id", imageId);
            in.require(named, "category_id", categoryId);
            in.require(named, "area", area);
            in.require(named, "segmentation", segmentation);
            if (!(area >= 0) || Double.isInfinite(area)) {
                throw new VlmscopeException(in.file + ": " + named + " has area " + area
                        + ": expected a non-negative number of pixels");
            }
            if (segmentation != JsonToken.START_ARRAY && segmentation != JsonToken.START_OBJECT) {
                throw badSegmentation(in.file, named, segmentationAt);
            }
            annotations.add(id, imageId, categoryId, area, crowd);
            in.tick();
        }
        return annotations;
    }

    /** Reads one annotation object, parsing its segmentation and bbox. */
    private static AnnotationShape readShape(Cursor in, long id) throws IOException {
        JsonParser p = in.parser;
        String named = "annotation " + id;
        Segmentation segmentation = null;
        double[] bbox = null;
        while (p.nextToken() == JsonToken.FIELD_NAME) {
            String field = p.currentName();
            p.nextToken();
            switch (field) {
                case "segmentation" -> segmentation = SegmentationParser.parse(in, named);
                case "bbox" -> bbox = in.numbers(named, "bbox", 4);
                default -> p.skipChildren();
            }
        }
        return new AnnotationShape(segmentation, bbox);
    }

    static VlmscopeException badSegmentation(Path file, String named, JsonLocation at) {
        return new VlmscopeException(file + ": " + named + " has a segmentation (" + where(at) + ") that is "
                + "neither polygons ([[x0, y0, x1, y1, ...], ...]) nor RLE ({\"counts\": ..., \"size\": [h, w]})");
    }

    private static JsonParser open(Path file) throws IOException {
        try {
            return JSON.createParser(file.toFile());
        } catch (java.io.FileNotFoundException e) {
            throw new VlmscopeException(file + " does not exist: expected a COCO instances JSON file");
        }
    }

    private static long sizeOf(Path file) {
        try {
            return Files.size(file);
        } catch (NoSuchFileException e) {
            throw new VlmscopeException(file + " does not exist: expected a COCO instances JSON file");
        } catch (IOException e) {
            throw new VlmscopeException("cannot read " + file + ": " + e.getMessage(), e);
        }
    }

    private static void requireKey(Path file, Object value, String key) {
        if (value == null) {
            throw new VlmscopeException(file + " has no '" + key + "' key: expected a COCO instances file "
                    + "with 'images', 'annotations' and 'categories'");
        }
    }

    private static VlmscopeException notJson(Path file, JsonProcessingException e) {
        return new VlmscopeException(file + " is not valid JSON (" + where(e.getLocation()) + "): "
                + e.getOriginalMessage() + "; expected a COCO instances file", e);
    }

    static String where(JsonLocation at) {
        return at == null ? "position unknown" : "line " + at.getLineNr() + ", column " + at.getColumnNr();
    }

    /** The parser plus the checks every field read shares; errors name the file and record. */
    static final class Cursor {
        final Path file;
        final JsonParser parser;
        private final ProgressListener progress;
        private final String task;
        private final long size;
        private int ticks;

        Cursor(Path file, JsonParser parser, ProgressListener progress, String task, long size) {
            this.file = file;
            this.parser = parser;
            this.progress = progress;
            this.task = task;
            this.size = size;
        }

        /** Reports progress by bytes read, every 4096 records. */
        void tick() {
            if (++ticks % 4096 == 0) {
                progress.report(task, Math.min(size, parser.currentLocation().getByteOffset()), size);
            }
        }

        void expectTopObject() throws IOException {
            if (parser.nextToken() != JsonToken.START_OBJECT) {
                throw new VlmscopeException(file + " is not a COCO instances file: expected a JSON object with "
                        + "'images', 'annotations' and 'categories', found " + describe(parser.currentToken()));
            }
        }

        void expectArray(String key) {
            if (parser.currentToken() != JsonToken.START_ARRAY) {
                throw new VlmscopeException(file + ": '" + key + "' is " + describe(parser.currentToken()) + " ("
                        + where(parser.currentTokenLocation()) + "): expected a list");
            }
        }

        void expectObject(String record) {
            if (parser.currentToken() != JsonToken.START_OBJECT) {
                throw new VlmscopeException(file + ": " + record + " is " + describe(parser.currentToken()) + " ("
                        + where(parser.currentTokenLocation()) + "): expected an object");
            }
        }

        long integer(String record, String field, JsonToken value) throws IOException {
            if (value != JsonToken.VALUE_NUMBER_INT) {
                throw wrong(record, field, value, "an integer");
            }
            return parser.getLongValue();
        }

        int positiveInt(String record, String field, JsonToken value) throws IOException {
            long v = integer(record, field, value);
            if (v <= 0 || v > Integer.MAX_VALUE) {
                throw new VlmscopeException(file + ": " + record + " has " + field + " " + v
                        + ": expected a positive integer");
            }
            return (int) v;
        }

        double number(String record, String field, JsonToken value) throws IOException {
            if (value != JsonToken.VALUE_NUMBER_INT && value != JsonToken.VALUE_NUMBER_FLOAT) {
                throw wrong(record, field, value, "a number");
            }
            return parser.getDoubleValue();
        }

        String string(String record, String field, JsonToken value) throws IOException {
            if (value != JsonToken.VALUE_STRING) {
                throw wrong(record, field, value, "a string");
            }
            return parser.getText();
        }

        /** A list of exactly {@code count} numbers. */
        double[] numbers(String record, String field, int count) throws IOException {
            if (parser.currentToken() != JsonToken.START_ARRAY) {
                throw wrong(record, field, parser.currentToken(), "a list of " + count + " numbers");
            }
            double[] out = new double[count];
            int n = 0;
            JsonToken t;
            while ((t = parser.nextToken()) != JsonToken.END_ARRAY) {
                if (n == count || t != JsonToken.VALUE_NUMBER_INT && t != JsonToken.VALUE_NUMBER_FLOAT) {
                    throw wrong(record, field, t, "a list of " + count + " numbers");
                }
                out[n++] = parser.getDoubleValue();
            }
            if (n != count) {
                throw new VlmscopeException(file + ": " + record + " has a " + field + " of " + n
                        + " numbers: expected " + count);
            }
            return out;
        }

        void require(String record, String field, Object value) {
            if (value == null) {
                throw new VlmscopeException(file + ": " + record + " has no '" + field + "'");
            }
        }

        VlmscopeException wrong(String record, String field, JsonToken value, String expected) {
            return new VlmscopeException(file + ": " + record + " has " + field + " " + describe(value) + " ("
                    + where(parser.currentTokenLocation()) + "): expected " + expected);
        }

        static String describe(JsonToken t) {
            if (t == null) {
                return "nothing (the file ends)";
            }
            return switch (t) {
                case START_OBJECT -> "an object";
                case START_ARRAY -> "a list";
                case VALUE_STRING -> "a string";
                case VALUE_NUMBER_INT, VALUE_NUMBER_FLOAT -> "a number";
                case VALUE_TRUE, VALUE_FALSE -> "a boolean";
                case VALUE_NULL -> "null";
                default -> t.toString();
            };
        }
    }
}
