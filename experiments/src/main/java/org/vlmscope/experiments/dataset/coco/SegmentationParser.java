package org.vlmscope.experiments.dataset.coco;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.vlmscope.core.VlmscopeException;

/**
 * Parses a {@code segmentation} value at the parser's current token: a list of polygon parts, or an RLE object
 * whose {@code counts} is a compressed string or a list of run lengths (the two crowd encodings).
 */
final class SegmentationParser {
    private SegmentationParser() {
    }

    static Segmentation parse(InstancesReader.Cursor in, String named) throws IOException {
        JsonParser p = in.parser;
        JsonLocation at = p.currentTokenLocation();
        if (p.currentToken() == JsonToken.START_ARRAY) {
            return polygons(in, named, at);
        }
        if (p.currentToken() == JsonToken.START_OBJECT) {
            return rle(in, named, at);
        }
        throw InstancesReader.badSegmentation(in.file, named, at);
    }

    private static Segmentation polygons(InstancesReader.Cursor in, String named, JsonLocation at)
            throws IOException {
        JsonParser p = in.parser;
        List<double[]> parts = new ArrayList<>();
        while (p.nextToken() != JsonToken.END_ARRAY) {
            if (p.currentToken() != JsonToken.START_ARRAY) {
                throw InstancesReader.badSegmentation(in.file, named, at);
            }
            double[] xy = new double[16];
            int n = 0;
            JsonToken t;
            while ((t = p.nextToken()) != JsonToken.END_ARRAY) {
                if (t != JsonToken.VALUE_NUMBER_INT && t != JsonToken.VALUE_NUMBER_FLOAT) {
                    throw InstancesReader.badSegmentation(in.file, named, at);
                }
                if (n == xy.length) {
                    xy = Arrays.copyOf(xy, n * 2);
                }
                xy[n++] = p.getDoubleValue();
            }
            if (n % 2 != 0) {
                throw new VlmscopeException(in.file + ": " + named + " has a polygon part of " + n
                        + " coordinates (" + InstancesReader.where(at) + "): expected x, y pairs");
            }
            parts.add(Arrays.copyOf(xy, n));
        }
        return new Segmentation.Polygons(parts);
    }

    private static Segmentation rle(InstancesReader.Cursor in, String named, JsonLocation at) throws IOException {
        JsonParser p = in.parser;
        long[] counts = null;
        double[] size = null;
        while (p.nextToken() == JsonToken.FIELD_NAME) {
            String field = p.currentName();
            JsonToken value = p.nextToken();
            switch (field) {
                case "counts" -> counts = counts(in, named, value, at);
                case "size" -> size = in.numbers(named, "segmentation size", 2);
                default -> p.skipChildren();
            }
        }
        if (counts == null || size == null) {
            throw InstancesReader.badSegmentation(in.file, named, at);
        }
        int height = (int) size[0];
        int width = (int) size[1];
        if (height != size[0] || width != size[1] || height <= 0 || width <= 0) {
            throw new VlmscopeException(in.file + ": " + named + " has an RLE size " + Arrays.toString(size) + " ("
                    + InstancesReader.where(at) + "): expected [height, width] as positive integers");
        }
        long total = 0;
        for (long c : counts) {
            total += c;
        }
        if (total != (long) height * width) {
            throw new VlmscopeException(in.file + ": " + named + " has RLE runs (" + InstancesReader.where(at)
                    + ") that add up to " + total + " pixels: expected height x width = " + (long) height * width);
        }
        return new Segmentation.Rle(height, width, counts);
    }

    private static long[] counts(InstancesReader.Cursor in, String named, JsonToken value, JsonLocation at)
            throws IOException {
        JsonParser p = in.parser;
        if (value == JsonToken.VALUE_STRING) {
            try {
                return CompressedRle.decode(p.getText());
            } catch (IllegalArgumentException e) {
                throw new VlmscopeException(in.file + ": " + named + " has a compressed RLE ("
                        + InstancesReader.where(at) + ") that cannot be decoded: " + e.getMessage());
            }
        }
        if (value != JsonToken.START_ARRAY) {
            throw InstancesReader.badSegmentation(in.file, named, at);
        }
        long[] counts = new long[64];
        int n = 0;
        JsonToken t;
        while ((t = p.nextToken()) != JsonToken.END_ARRAY) {
            if (t != JsonToken.VALUE_NUMBER_INT || p.getLongValue() < 0) {
                throw new VlmscopeException(in.file + ": " + named + " has RLE counts (" + InstancesReader.where(at)
                        + ") with " + InstancesReader.Cursor.describe(t) + " " + p.getText()
                        + ": expected non-negative integers");
            }
            if (n == counts.length) {
                counts = Arrays.copyOf(counts, n * 2);
            }
            counts[n++] = p.getLongValue();
        }
        return Arrays.copyOf(counts, n);
    }
}
