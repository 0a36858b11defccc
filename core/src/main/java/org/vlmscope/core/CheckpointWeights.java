package org.vlmscope.core;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * The weights of a Hugging Face checkpoint directory, in the order HF itself looks for them:
 * a sharded checkpoint's {@code model.safetensors.index.json}, else {@code model.safetensors},
 * else the union of every {@code *.safetensors} in the directory.
 */
public final class CheckpointWeights implements WeightSource {
    static final String INDEX_FILE = "model.safetensors.index.json";
    static final String SINGLE_FILE = "model.safetensors";
    private static final ObjectMapper JSON = JsonMapper.builder()
            .enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION)
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .build();

    private final Path dir;
    /** Tensor name to the shard holding it, sorted by name. */
    private final Map<String, Path> shardOf;
    /** Shards opened so far; an index checkpoint opens a shard on first use. */
    private final Map<Path, SafetensorsFile> openShards = new LinkedHashMap<>();
    private final Set<String> names;
    private boolean closed;

    private CheckpointWeights(Path dir, Map<String, Path> shardOf) {
        this.dir = dir;
        this.shardOf = shardOf;
        this.names = Collections.unmodifiableSet(shardOf.keySet());
    }

    public static CheckpointWeights open(Path dir) {
        if (!Files.isDirectory(dir)) {
            throw new VlmscopeException(dir + " is not a directory; expected a Hugging Face checkpoint directory");
        }
        Path index = dir.resolve(INDEX_FILE);
        if (Files.isRegularFile(index)) {
            return new CheckpointWeights(dir, readIndex(dir, index));
        }
        Path single = dir.resolve(SINGLE_FILE);
        List<Path> files = Files.isRegularFile(single) ? List.of(single) : listSafetensors(dir);
        if (files.isEmpty()) {
            throw new VlmscopeException("no *.safetensors in " + dir);
        }
        return openAll(dir, files);
    }

    @Override
    public Set<String> names() {
        return names;
    }

    @Override
    public boolean contains(String name) {
        return shardOf.containsKey(name);
    }

    @Override
    public TensorInfo info(String name) {
        return shardHolding(name).info(name);
    }

    @Override
    public ByteBuffer data(String name) {
        return shardHolding(name).data(name);
    }

    @Override
    public float[] toFloatArray(String name) {
        return shardHolding(name).toFloatArray(name);
    }

    @Override
    public synchronized void close() {
        closed = true;
        VlmscopeException failure = null;
        for (SafetensorsFile shard : openShards.values()) {
            try {
                shard.close();
            } catch (VlmscopeException e) {
                if (failure == null) {
                    failure = e;
                } else {
                    failure.addSuppressed(e);
                }
            }
        }
        openShards.clear();
        if (failure != null) {
            throw failure;
        }
    }

    @Override
    public String toString() {
        return "CheckpointWeights[" + dir + ", " + shardOf.size() + " tensors]";
    }

    private synchronized SafetensorsFile shardHolding(String name) {
        Path shard = shardOf.get(name);
        if (shard == null) {
            throw new VlmscopeException("tensor " + name + " is not in the checkpoint " + dir);
        }
        if (closed) {
            throw new VlmscopeException("checkpoint " + dir + " is closed; cannot read tensor " + name);
        }
        SafetensorsFile file = openShards.get(shard);
        if (file == null) {
            file = SafetensorsFile.open(shard);
            openShards.put(shard, file);
        }
        if (!file.contains(name)) {
            throw new VlmscopeException(dir.resolve(INDEX_FILE) + " places tensor " + name + " in "
                    + shard.getFileName() + ", but that shard does not contain it");
        }
        return file;
    }

    private static Map<String, Path> readIndex(Path dir, Path index) {
        JsonNode root;
        try {
            root = JSON.readTree(index.toFile());
        } catch (JsonProcessingException e) {
            throw JsonErrors.notJson(index, e);
        } catch (IOException e) {
            throw new VlmscopeException("cannot read " + index + ": " + e.getMessage(), e);
        }
        JsonNode weightMap = root == null ? null : root.get("weight_map");
        if (weightMap == null || !weightMap.isObject()) {
            throw new VlmscopeException(index + " has no weight_map object (tensor name -> shard file)");
        }
        Map<String, Path> shardOf = new TreeMap<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = weightMap.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> entry = it.next();
            JsonNode file = entry.getValue();
            if (!file.isTextual()) {
                throw new VlmscopeException(index + ": weight_map entry " + entry.getKey()
                        + " must name a shard file, found " + file);
            }
            // Shards live in the checkpoint directory: a name with a path could reach any file on the machine.
            if (file.textValue().isEmpty() || file.textValue().contains("/") || file.textValue().contains("\\")
                    || file.textValue().equals("..")) {
                throw new VlmscopeException(index + ": weight_map entry " + entry.getKey() + " names shard '"
                        + file.textValue() + "': expected a file name in " + dir);
            }
            Path shard = dir.resolve(file.textValue()).normalize();
            if (!Files.isRegularFile(shard)) {
                throw new VlmscopeException(index + " names shard " + file.textValue() + " (for tensor "
                        + entry.getKey() + "), but " + shard + " does not exist");
            }
            shardOf.put(entry.getKey(), shard);
        }
        return Collections.unmodifiableMap(shardOf);
    }

    private static List<Path> listSafetensors(Path dir) {
        List<Path> files = new ArrayList<>();
        try (DirectoryStream<Path> stream = Files.newDirectoryStream(dir, "*.safetensors")) {
            for (Path file : stream) {
                if (Files.isRegularFile(file)) {
                    files.add(file);
                }
            }
        } catch (IOException e) {
            throw new VlmscopeException("cannot list " + dir + ": " + e.getMessage(), e);
        }
        Collections.sort(files);
        return files;
    }

    /** Without an index every file is opened at once: the headers are needed to know the names. */
    private static CheckpointWeights openAll(Path dir, List<Path> files) {
        Map<String, Path> shardOf = new TreeMap<>();
        List<SafetensorsFile> opened = new ArrayList<>();
        try {
            for (Path path : files) {
                SafetensorsFile file = SafetensorsFile.open(path);
                opened.add(file);
                for (TensorInfo info : file.tensors()) {
                    Path earlier = shardOf.putIfAbsent(info.name(), path);
                    if (earlier != null) {
                        throw new VlmscopeException("tensor " + info.name() + " is in both " + earlier.getFileName()
                                + " and " + path.getFileName() + " in " + dir + "; which one to use is ambiguous");
                    }
                }
            }
        } catch (RuntimeException e) {
            for (SafetensorsFile file : opened) {
                try {
                    file.close();
                } catch (RuntimeException closeFailure) {
                    e.addSuppressed(closeFailure);
                }
            }
            throw e;
        }
        CheckpointWeights weights = new CheckpointWeights(dir, Collections.unmodifiableMap(shardOf));
        for (SafetensorsFile file : opened) {
            weights.openShards.put(file.path(), file);
        }
        return weights;
    }
}
