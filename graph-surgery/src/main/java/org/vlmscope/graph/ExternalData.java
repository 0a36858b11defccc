package org.vlmscope.graph;

import ai.onnx.proto.OnnxMl.StringStringEntryProto;
import ai.onnx.proto.OnnxMl.TensorProto;
import ai.onnx.proto.OnnxMl.TensorProto.DataType;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;

/** Initializers whose bytes live in a separate file ("external data"): building and relocating references. */
public final class ExternalData {
    private ExternalData() {
    }

    /** Metadata of an initializer stored at {@code offset} in {@code location} (relative to the model file). */
    public static TensorProto reference(String name, DataType type, long[] dims, String location, long offset,
                                        long length) {
        TensorProto.Builder b = TensorProto.newBuilder().setName(name).setDataType(type.getNumber())
                .setDataLocation(TensorProto.DataLocation.EXTERNAL);
        for (long d : dims) {
            b.addDims(d);
        }
        b.addExternalData(entry("location", location));
        b.addExternalData(entry("offset", Long.toString(offset)));
        b.addExternalData(entry("length", Long.toString(length)));
        return b.build();
    }

    private static StringStringEntryProto entry(String key, String value) {
        return StringStringEntryProto.newBuilder().setKey(key).setValue(value).build();
    }

    /** The external-data entry {@code key} ("location", "offset", "length"), or null. */
    public static String field(TensorProto t, String key) {
        for (StringStringEntryProto e : t.getExternalDataList()) {
            if (e.getKey().equals(key)) {
                return e.getValue();
            }
        }
        return null;
    }

    /** Bytes of the tensor's data, from metadata alone (never reads external files). */
    public static long byteLength(TensorProto t) {
        if (OnnxModel.isExternal(t)) {
            String length = field(t, "length");
            if (length != null) {
                return Long.parseLong(length);
            }
        } else if (!t.getRawData().isEmpty()) {
            return t.getRawData().size();
        }
        long numel = 1;
        for (long d : t.getDimsList()) {
            numel *= d;
        }
        int size = ElemTypes.byteSize(DataType.forNumber(t.getDataType()));
        return size < 0 ? 0 : numel * size;
    }

    /**
     * Checks that every external initializer of {@code graph} lies inside its data file, resolved against
     * {@code baseDir}: a truncated or foreign {@code .data} file is named here, before ONNX Runtime reads it and
     * reports an out-of-bounds read from deep in its sources. {@code model} names the graph file in messages.
     */
    public static void checkFiles(Graph graph, Path baseDir, String model) {
        Map<String, Long> sizes = new HashMap<>();
        for (Value v : graph.initializers()) {
            TensorProto t = v.initializer();
            if (!OnnxModel.isExternal(t)) {
                continue;
            }
            String location = field(t, "location");
            long offset = number(t, "offset", model);
            long length = number(t, "length", model);
            if (location == null || location.isEmpty()) {
                throw new GraphException(model + ": initializer " + t.getName() + " is external but names no file");
            }
            Path file = baseDir.resolve(location).normalize();
            Long size = sizes.computeIfAbsent(location, l -> Files.isRegularFile(file) ? sizeOf(file) : -1L);
            if (size < 0) {
                throw new GraphException(model + " keeps initializer " + t.getName() + " in " + file
                        + ", which does not exist");
            }
            if (offset > size || length > size - offset) {
                throw new GraphException(file + " holds " + size + " bytes, but " + model + " reads initializer "
                        + t.getName() + " at bytes " + offset + "-" + (offset + length) + ": the file is truncated "
                        + "or belongs to another export");
            }
        }
    }

    private static long number(TensorProto t, String key, String model) {
        String text = field(t, key);
        try {
            long value = text == null ? 0 : Long.parseLong(text);
            if (value < 0) {
                throw new NumberFormatException();
            }
            return value;
        } catch (NumberFormatException e) {
            throw new GraphException(model + ": initializer " + t.getName() + " has external " + key + " '" + text
                    + "': expected a non-negative integer");
        }
    }

    private static long sizeOf(Path file) {
        try {
            return Files.size(file);
        } catch (IOException e) {
            return -1;
        }
    }

    /**
     * Rewrites external locations that resolve against {@code fromDir} so they resolve against {@code toDir}.
     * ONNX Runtime refuses locations outside the model's directory, so a data file that a relative path could
     * only reach through ".." gets a link inside {@code toDir} (a hard link when possible, else a symbolic one).
     */
    static void relocate(Graph graph, Path fromDir, Path toDir) throws IOException {
        if (fromDir == null || fromDir.toAbsolutePath().normalize().equals(toDir.toAbsolutePath().normalize())) {
            return;
        }
        Map<Path, String> newLocation = new HashMap<>();
        for (Value v : graph.initializers()) {
            TensorProto t = v.initializer();
            if (!OnnxModel.isExternal(t)) {
                continue;
            }
            Path data = fromDir.resolve(field(t, "location")).toAbsolutePath().normalize();
            String location = newLocation.get(data);
            if (location == null) {
                location = locationFrom(toDir.toAbsolutePath().normalize(), data);
                newLocation.put(data, location);
            }
            TensorProto.Builder b = t.toBuilder();
            for (int i = 0; i < b.getExternalDataCount(); i++) {
                if (b.getExternalData(i).getKey().equals("location")) {
                    b.setExternalData(i, entry("location", location));
                }
            }
            v.setInitializer(b.build());
        }
    }

    private static String locationFrom(Path dir, Path data) throws IOException {
        Path rel = dir.relativize(data);
        if (!rel.startsWith("..")) {
            return rel.toString().replace('\\', '/');
        }
        Path link = dir.resolve(data.getFileName());
        if (Files.exists(link)) {
            if (Files.isSameFile(link, data)) {
                return link.getFileName().toString();
            }
            throw new GraphException("cannot reference external data " + data + " from " + dir + ": "
                    + link + " exists and is a different file");
        }
        try {
            Files.createLink(link, data);
        } catch (IOException | UnsupportedOperationException e) {
            Files.createSymbolicLink(link, data);
        }
        return link.getFileName().toString();
    }
}
