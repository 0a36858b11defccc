package org.vlmscope.exporter;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.vlmscope.core.vocab.MetadataKeys;
import org.vlmscope.core.Directories;
import org.vlmscope.core.ModelManifest;
import org.vlmscope.core.TensorInfo;
import org.vlmscope.core.VlmscopeException;
import org.vlmscope.exporter.config.HfConfigReader;
import org.vlmscope.graph.OnnxModel;
import org.vlmscope.graph.Ops;

/**
 * Hugging Face LLaVA checkpoint directory -> vlmscope model directory (DESIGN.md, "The model directory"). The
 * export is built in a staging directory beside the target and moved into place only when complete, so a
 * failed export never leaves a half-written model or destroys the previous one.
 */
public final class Exporter {
    public static final String VERSION = "0.1.0";
    /** Files copied from the checkpoint when present: the tokenizer and image processor travel with the model. */
    private static final List<String> COPIED = List.of("tokenizer.json", "tokenizer_config.json",
            "special_tokens_map.json", "added_tokens.json", "tokenizer.model", "chat_template.json",
            "preprocessor_config.json", "processor_config.json", "generation_config.json", "config.json");

    /** What an export produced. */
    public record Result(Path modelDir, ModelManifest manifest, long weightBytes, long tensors) {
    }

    private Exporter() {
    }

    public static Result export(Path checkpointDir, Path modelDir, ExportOptions options) {
        Path target = modelDir.toAbsolutePath().normalize();
        Path staging = target.resolveSibling(target.getFileName() + ".partial");
        refuseForeignDirectory(target);
        ExportFamily family = ExportFamilies.of(checkpointDir);
        try (FamilyCheckpoint ckpt = family.open(checkpointDir, options)) {
            Directories.deleteRecursively(staging);
            Files.createDirectories(staging);
            Map<String, ModelManifest.GraphEntry> graphs = new LinkedHashMap<>();
            long[] totals = new long[2];
            for (Map.Entry<String, FamilyCheckpoint.GraphBuilder> g : ckpt.graphs().entrySet()) {
                String name = g.getKey();
                String file = name + ".onnx";
                OnnxModel model = OnnxModel.create(name, ExportOptions.OPSET, staging);
                try (WeightWriter weights = new WeightWriter(staging.resolve(file + ".data"), options.dtype(),
                        !options.graphsOnly())) {
                    FamilyCheckpoint.BuiltGraph built = g.getValue().build(new Ops(model.graph(), ExportOptions.OPSET),
                            weights);
                    model.metadata().put(MetadataKeys.GRAPH, name);
                    model.metadata().put(MetadataKeys.HOOKS, String.join(",", built.hooks()));
                    model.metadata().put(MetadataKeys.COMPUTE_TYPE, options.dtypeName());
                    model.metadata().putAll(built.metadata());
                    model.save(staging.resolve(file));
                    graphs.put(name, new ModelManifest.GraphEntry(file, List.copyOf(built.hooks())));
                    totals[0] += weights.bytesWritten();
                    totals[1] += weights.tensorCount();
                }
            }
            for (String name : COPIED) {
                Path src = checkpointDir.resolve(name);
                if (Files.isRegularFile(src)) {
                    Files.copy(src, staging.resolve(name), StandardCopyOption.REPLACE_EXISTING);
                }
            }
            ModelManifest manifest = ckpt.manifest(options, graphs, new ModelManifest.Source(
                    ckpt.dir().toAbsolutePath().toString(), fingerprint(ckpt), VERSION, null));
            manifest.write(staging);
            replace(staging, target);
            return new Result(target, manifest, totals[0], totals[1]);
        } catch (IOException e) {
            throw new VlmscopeException("export to " + modelDir + " failed: " + e.getMessage(), e);
        } catch (RuntimeException e) {
            try {
                Directories.deleteRecursively(staging);
            } catch (IOException suppressed) {
                e.addSuppressed(suppressed);
            }
            throw e;
        }
    }

    /** An existing non-empty directory is replaced only when it is a previous export. */
    private static void refuseForeignDirectory(Path target) {
        try (Stream<Path> entries = Files.isDirectory(target) ? Files.list(target) : Stream.empty()) {
            if (entries.findAny().isPresent() && !Files.exists(target.resolve(ModelManifest.FILE))) {
                throw new VlmscopeException(target + " exists and is not a vlmscope model directory (no "
                        + ModelManifest.FILE + "); choose an empty or new directory");
            }
        } catch (IOException e) {
            throw new VlmscopeException("cannot read " + target + ": " + e.getMessage(), e);
        }
        if (Files.exists(target) && !Files.isDirectory(target)) {
            throw new VlmscopeException(target + " exists and is a file; the export needs a directory");
        }
    }

    /** sha256 over config.json and every tensor's name, dtype and shape: identifies the checkpoint cheaply. */
    private static String fingerprint(FamilyCheckpoint ckpt) throws IOException {
        try {
            MessageDigest sha = MessageDigest.getInstance("SHA-256");
            sha.update(Files.readAllBytes(ckpt.dir().resolve(HfConfigReader.CONFIG_FILE)));
            for (String name : ckpt.weights().names()) {
                TensorInfo info = ckpt.weights().info(name);
                sha.update((name + " " + info.dtype() + " " + Arrays.toString(info.shape()) + "\n")
                        .getBytes(StandardCharsets.UTF_8));
            }
            return "sha256:" + HexFormat.of().formatHex(sha.digest());
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Moves the finished staging directory to {@code target}, replacing a previous export only at the end. */
    private static void replace(Path staging, Path target) throws IOException {
        Path old = null;
        if (Files.exists(target)) {
            old = target.resolveSibling(target.getFileName() + ".old");
            Directories.deleteRecursively(old);
            Files.move(target, old, StandardCopyOption.ATOMIC_MOVE);
        }
        Files.move(staging, target, StandardCopyOption.ATOMIC_MOVE);
        if (old != null) {
            Directories.deleteRecursively(old);
        }
    }

}
