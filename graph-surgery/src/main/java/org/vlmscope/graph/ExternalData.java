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
