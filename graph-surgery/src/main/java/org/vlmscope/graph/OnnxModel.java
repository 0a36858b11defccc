package org.vlmscope.graph;

import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnx.proto.OnnxMl.OperatorSetIdProto;
import ai.onnx.proto.OnnxMl.StringStringEntryProto;
import ai.onnx.proto.OnnxMl.TensorProto;
import com.google.protobuf.CodedInputStream;
import com.google.protobuf.InvalidProtocolBufferException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.LinkedHashMap;
import java.util.Map;
import org.vlmscope.core.TempFiles;

/**
 * An ONNX model: the graph IR plus the model header (IR version, opsets, producer, metadata). Loading parses
 * only the .onnx file; tensors stored as external data are referenced, never read.
 */
public final class OnnxModel {
    /** Directory the model was loaded from: relative external-data locations resolve against it. */
    private Path baseDir;
    /** IR version, opset imports, producer; replaced (never edited in place) when a domain is imported. */
    private ModelProto header;
    private final Graph graph;
    private final Map<String, Long> opsets = new LinkedHashMap<>();
    private final LinkedHashMap<String, String> metadata = new LinkedHashMap<>();

    private OnnxModel(Path baseDir, ModelProto header, Graph graph) {
        this.baseDir = baseDir;
        this.header = header;
        this.graph = graph;
        for (OperatorSetIdProto o : header.getOpsetImportList()) {
            opsets.put(o.getDomain(), o.getVersion());
        }
        for (StringStringEntryProto e : header.getMetadataPropsList()) {
            metadata.put(e.getKey(), e.getValue());
        }
    }

    /** A new empty model: IR version 8, the default domain at {@code opset}. */
    public static OnnxModel create(String graphName, long opset, Path baseDir) {
        ModelProto header = ModelProto.newBuilder().setIrVersion(8).setProducerName("vlmscope")
                .addOpsetImport(OperatorSetIdProto.newBuilder().setDomain("").setVersion(opset)).build();
        return new OnnxModel(baseDir, header, new Graph(graphName));
    }

    public static OnnxModel load(Path file) {
        try (InputStream in = Files.newInputStream(file)) {
            CodedInputStream coded = CodedInputStream.newInstance(in);
            coded.setSizeLimit(Integer.MAX_VALUE);
            coded.setRecursionLimit(1000);
            ModelProto proto = ModelProto.parseFrom(coded);
            if (!proto.hasGraph()) {
                throw new GraphException(file + " is not an ONNX model: it has no graph");
            }
            Path dir = file.toAbsolutePath().getParent();
            return new OnnxModel(dir, proto.toBuilder().clearGraph().build(), GraphProtos.read(proto.getGraph()));
        } catch (NoSuchFileException e) {
            throw new GraphException("no such ONNX file: " + file);
        } catch (InvalidProtocolBufferException e) {
            throw new GraphException(file + " is not a valid ONNX model: " + e.getMessage(), e);
        } catch (IOException e) {
            throw new GraphException("cannot read " + file + ": " + e.getMessage(), e);
        }
    }

    public Graph graph() {
        return graph;
    }

    public Path baseDir() {
        return baseDir;
    }

    /** Opset version of the default ONNX domain. */
    public long opset() {
        return opsets.getOrDefault("", opsets.getOrDefault("ai.onnx", 0L));
    }

    public Map<String, Long> opsets() {
        return Map.copyOf(opsets);
    }

    /**
     * Imports operator domain {@code domain} at {@code version} (e.g. com.microsoft for ONNX Runtime's contrib ops);
     * an error when the model imports it at another version.
     */
    public void importDomain(String domain, long version) {
        Long present = opsets.get(domain);
        if (present != null && present != version) {
            throw new GraphException("the model imports domain '" + domain + "' at version " + present + ", not "
                    + version);
        }
        if (present == null) {
            header = header.toBuilder().addOpsetImport(OperatorSetIdProto.newBuilder().setDomain(domain)
                    .setVersion(version)).build();
            opsets.put(domain, version);
        }
    }

    public long irVersion() {
        return header.getIrVersion();
    }

    /** The model's {@code metadata_props}, in order; edits are saved with the model. */
    public Map<String, String> metadata() {
        return metadata;
    }

    public ModelProto toProto() {
        graph.toposort();
        ModelProto.Builder b = header.toBuilder().clearMetadataProps().setGraph(GraphProtos.write(graph));
        metadata.forEach((k, v) -> b.addMetadataProps(StringStringEntryProto.newBuilder().setKey(k).setValue(v)));
        return b.build();
    }

    /** The serialised model, e.g. for an ONNX Runtime session whose external data folder is {@link #baseDir()}. */
    public byte[] toBytes() {
        return toProto().toByteArray();
    }

    /**
     * Writes the model to {@code file} (atomically: a temp file moved into place). External data stays where
     * it is; each reference is rewritten so it still resolves from the new file's directory (a link to the
     * data file is made there when a relative path would have to leave that directory).
     */
    public void save(Path file) {
        Path target = file.toAbsolutePath();
        Path dir = target.getParent();
        try {
            Files.createDirectories(dir);
            ExternalData.relocate(graph, baseDir, dir);
            // From here on the references resolve against dir (links were made there), even if writing fails.
            baseDir = dir;
            Path tmp = TempFiles.beside(target, ".tmp");
            try (OutputStream out = Files.newOutputStream(tmp)) {
                toProto().writeTo(out);
            } catch (IOException | RuntimeException e) {
                Files.deleteIfExists(tmp);
                throw e;
            }
            Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            throw new GraphException("cannot write " + file + ": " + e.getMessage(), e);
        }
    }

    /** Total bytes of initializer data, inline and external, from metadata alone. */
    public long weightBytes() {
        long total = 0;
        for (Value v : graph.initializers()) {
            total += ExternalData.byteLength(v.initializer());
        }
        return total;
    }

    static boolean isExternal(TensorProto t) {
        return t.getDataLocation() == TensorProto.DataLocation.EXTERNAL;
    }
}
