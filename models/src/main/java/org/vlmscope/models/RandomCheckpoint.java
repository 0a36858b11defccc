package org.vlmscope.models;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeMap;
import org.vlmscope.core.DType;
import org.vlmscope.core.SafetensorsWriter;
import org.vlmscope.core.SafetensorsWriter.TensorSpec;
import org.vlmscope.core.VlmscopeException;

/**
 * Large random LLaVA checkpoints for benchmarks: real Hugging Face layout (compact config.json, shards named and
 * indexed as save_pretrained names them) with realistic dimensions, written by streaming so that generating many
 * gigabytes needs only one small buffer of heap.
 */
public final class RandomCheckpoint {
    /** The staging buffer; a multiple of 8 because it is filled a long at a time. */
    private static final int BUFFER_BYTES = 4 << 20;
    private static final long SEED = 42;
    private static final LlavaShape.Vision CLIP_L_336 = new LlavaShape.Vision(1024, 4096, 24, 16, 336, 14);
    /**
     * Sizes from small to large; the text layer count is a placeholder, {@link #shapeFor} sets it. A test-sized
     * model, then CLIP ViT-L/14-336 with TinyLlama-1.1B's widths, then with Llama-2-7B's (LLaVA-1.5-7B itself).
     */
    private static final List<LlavaShape> SIZES = List.of(
            new LlavaShape(new LlavaShape.Vision(256, 1024, 6, 4, 336, 14),
                    new LlavaShape.Text(512, 1408, 1, 8, 2, 4096, 4096, 1e-5), 4000, 4001),
            new LlavaShape(CLIP_L_336, new LlavaShape.Text(2048, 5632, 1, 32, 4, 32064, 4096, 1e-5), 32000, 32001),
            new LlavaShape(CLIP_L_336, new LlavaShape.Text(4096, 11008, 1, 32, 32, 32064, 4096, 1e-5), 32000, 32001));

    /**
     * The benchmark shapes of issue 12, measured side by side with Hugging Face: CLIP-336/14 towers (576 visual
     * tokens) and 8-layer Llamas with LLaVA-1.5's vocabulary (32064, untied lm_head). "small": vision 192 wide,
     * 12 layers, 3 heads, MLP 768; text 256 wide, 4 heads / 2 kv, MLP 704. "medium": vision 768 / 12 / 12 / 3072;
     * text 1024 wide, 16 heads / 8 kv, MLP 2816.
     */
    private static final Map<String, LlavaShape> NAMED = Map.of(
            "small", new LlavaShape(new LlavaShape.Vision(192, 768, 12, 3, 336, 14),
                    new LlavaShape.Text(256, 704, 8, 4, 2, 32064, 4096, 1e-5), 32000, 32001),
            "medium", new LlavaShape(new LlavaShape.Vision(768, 3072, 12, 12, 336, 14),
                    new LlavaShape.Text(1024, 2816, 8, 16, 8, 32064, 4096, 1e-5), 32000, 32001));

    private RandomCheckpoint() {
    }

    /** The names {@link #writeNamed} knows. */
    public static java.util.Set<String> shapeNames() {
        return new java.util.TreeSet<>(NAMED.keySet());
    }

    /**
     * Writes the random checkpoint of a named shape (see {@link #NAMED}) into {@code dir} as one
     * {@code model.safetensors}; returns the tensor data bytes written.
     */
    public static long writeNamed(Path dir, String name, DType dtype) {
        LlavaShape shape = NAMED.get(name);
        if (shape == null) {
            throw new VlmscopeException("unknown checkpoint shape '" + name + "'; expected one of " + shapeNames());
        }
        return write(dir, shape, dtype, Long.MAX_VALUE);
    }

    /**
     * Writes a checkpoint of at least {@code targetBytes} of tensor data into {@code dir} (created if needed).
     * Shards follow save_pretrained's rule: tensors in model order, a new shard whenever the next tensor would
     * push the shard's tensor data past {@code maxShardBytes}, a tensor larger than that alone in its own shard;
     * a single shard is written as {@code model.safetensors} with no index.
     *
     * @param dtype the tensors' dtype: BF16 (what LLaVA checkpoints ship), F16 or F32
     * @return the tensor data bytes written, which is the index's {@code total_size}
     */
    public static long write(Path dir, long targetBytes, DType dtype, long maxShardBytes) {
        if (dtype != DType.BF16 && dtype != DType.F16 && dtype != DType.F32) {
            throw new VlmscopeException("random checkpoints are BF16, F16 or F32, not " + dtype);
        }
        if (targetBytes <= 0 || maxShardBytes <= 0) {
            throw new VlmscopeException("target and shard sizes must be positive, found " + targetBytes + " and "
                    + maxShardBytes);
        }
        return write(dir, shapeFor(targetBytes, dtype), dtype, maxShardBytes);
    }

    /**
     * A tiny random-weight LLaVA-Phi-3 in the Llama layout, as xtuner/llava-phi-3-mini-hf is published:
     * text_config.model_type {@code llama}, vocabulary 32064 (Phi-3's), image token 32038; widths of 32 so the
     * checkpoint stays a few MB. F32, one file. The tokenizer files (and any chat template) are the caller's to add.
     */
    public static void writeLlamaLayoutPhi3(Path dir) {
        LlavaShape shape = new LlavaShape(new LlavaShape.Vision(32, 64, 1, 2, 28, 14),
                new LlavaShape.Text(32, 64, 1, 2, 2, 32064, 4096, 1e-5), 32038, 32000);
        write(dir, shape, DType.F32, Long.MAX_VALUE);
    }

    private static long write(Path dir, LlavaShape shape, DType dtype, long maxShardBytes) {
        List<List<TensorSpec>> shards = shard(shape.tensors(dtype), maxShardBytes);
        try {
            Files.createDirectories(dir);
        } catch (IOException e) {
            throw new VlmscopeException("cannot create " + dir + ": " + e.getMessage(), e);
        }
        HfJson.write(dir.resolve("config.json"), shape.config(torchDtype(dtype)));
        HfJson.write(dir.resolve("generation_config.json"), shape.generationConfig());
        HfJson.write(dir.resolve("preprocessor_config.json"), shape.preprocessorConfig());

        Filler filler = new Filler(dtype);
        Map<String, String> weightMap = new TreeMap<>();
        long total = 0;
        for (int s = 0; s < shards.size(); s++) {
            String file = shards.size() == 1 ? "model.safetensors"
                    : String.format("model-%05d-of-%05d.safetensors", s + 1, shards.size());
            // The safetensors library stores a single-dtype file's tensors sorted by name.
            List<TensorSpec> specs = shards.get(s).stream().sorted(Comparator.comparing(TensorSpec::name)).toList();
            try (SafetensorsWriter writer = SafetensorsWriter.create(dir.resolve(file), Map.of("format", "pt"),
                    specs)) {
                for (TensorSpec spec : specs) {
                    filler.stream(writer, spec.byteLength());
                    weightMap.put(spec.name(), file);
                }
                total += writer.writtenDataBytes();
            }
        }
        if (shards.size() > 1) {
            HfJson.write(dir.resolve("model.safetensors.index.json"),
                    Map.of("metadata", Map.of("total_size", total), "weight_map", weightMap));
        }
        return total;
    }

    /**
     * Writes a checkpoint with LLaVA-1.5-7B's dimensions (CLIP ViT-L/14-336, a 32-layer 4096-wide Llama, vocab
     * 32064) whose weights are all zero and stored as a sparse file: about 14 GB long, next to nothing on disk.
     * For graphs-only exports (the graph of a real-size model without its weights) and surgery benchmarks.
     */
    public static void writeZerosOfLlava7bShape(Path dir) {
        LlavaShape shape = withLayers(SIZES.get(SIZES.size() - 1), 32);
        try {
            Files.createDirectories(dir);
        } catch (IOException e) {
            throw new VlmscopeException("cannot create " + dir + ": " + e.getMessage(), e);
        }
        HfJson.write(dir.resolve("config.json"), shape.config(torchDtype(DType.F16)));
        List<TensorSpec> specs = shape.tensors(DType.F16);
        try (SafetensorsWriter writer = SafetensorsWriter.create(dir.resolve("model.safetensors"), Map.of("format", "pt"),
                specs)) {
            writer.writeZeros(writer.expectedDataBytes());
        }
    }

    /**
     * The largest size whose one-text-layer model takes at most half the target, so that the text stack makes
     * up most of the checkpoint as in real models; then as many text layers as reach the target.
     */
    static LlavaShape shapeFor(long targetBytes, DType dtype) {
        LlavaShape chosen = SIZES.get(0);
        for (LlavaShape size : SIZES) {
            if (bytes(size, dtype) <= targetBytes / 2) {
                chosen = size;
            }
        }
        long oneLayer = bytes(chosen, dtype);
        long perLayer = bytes(withLayers(chosen, 2), dtype) - oneLayer;
        long extra = Math.max(0, targetBytes - oneLayer);
        int layers = Math.toIntExact(1 + (extra + perLayer - 1) / perLayer);
        return withLayers(chosen, layers);
    }

    private static LlavaShape withLayers(LlavaShape shape, int layers) {
        LlavaShape.Text t = shape.text();
        return new LlavaShape(shape.vision(), new LlavaShape.Text(t.hidden(), t.intermediate(), layers, t.heads(),
                t.kvHeads(), t.vocab(), t.maxPositions(), t.rmsNormEps()), shape.imageTokenIndex(), shape.padTokenId());
    }

    private static long bytes(LlavaShape shape, DType dtype) {
        return shape.tensors(dtype).stream().mapToLong(TensorSpec::byteLength).sum();
    }

    private static List<List<TensorSpec>> shard(List<TensorSpec> tensors, long maxShardBytes) {
        List<List<TensorSpec>> shards = new ArrayList<>();
        List<TensorSpec> current = new ArrayList<>();
        long currentBytes = 0;
        for (TensorSpec spec : tensors) {
            if (!current.isEmpty() && currentBytes + spec.byteLength() > maxShardBytes) {
                shards.add(current);
                current = new ArrayList<>();
                currentBytes = 0;
            }
            current.add(spec);
            currentBytes += spec.byteLength();
        }
        shards.add(current);
        return shards;
    }

    private static String torchDtype(DType dtype) {
        return switch (dtype) {
            case BF16 -> "bfloat16";
            case F16 -> "float16";
            default -> "float32";
        };
    }

    /**
     * Random values of magnitude 2^-8 to 2^-4 (about what trained weights hold), built directly as bit patterns
     * so that filling gigabytes costs one generator step per 8 bytes: each 8-byte word is a random long whose
     * lanes (4 bf16/f16 or 2 f32) keep their random sign and mantissa bits and get an exponent field of
     * {@code 2^-8 * 2^k} with k in 0..3 taken from two of the lane's random bits. Every value is finite and nonzero.
     */
    private static final class Filler {
        private final ByteBuffer buffer = ByteBuffer.allocateDirect(BUFFER_BYTES).order(ByteOrder.LITTLE_ENDIAN);
        private final SplittableRandom random = new SplittableRandom(SEED);
        /** Sign and mantissa bits of each lane. */
        private final long keep;
        /** Two random bits per lane, at the bottom of the lane once the word is shifted right by the mantissa width. */
        private final long pick;
        private final int mantissaBits;
        /** The biased exponent of 2^-8 in every lane. */
        private final long base;

        Filler(DType dtype) {
            switch (dtype) {
                case BF16 -> {
                    mantissaBits = 7;
                    keep = 0x807f_807f_807f_807fL;
                    pick = 0x0003_0003_0003_0003L;
                    base = (127 - 8) * 0x0001_0001_0001_0001L;
                }
                case F16 -> {
                    mantissaBits = 10;
                    keep = 0x83ff_83ff_83ff_83ffL;
                    pick = 0x0003_0003_0003_0003L;
                    base = (15 - 8) * 0x0001_0001_0001_0001L;
                }
                case F32 -> {
                    mantissaBits = 23;
                    keep = 0x807f_ffff_807f_ffffL;
                    pick = 0x0000_0003_0000_0003L;
                    base = (127 - 8) * 0x0000_0001_0000_0001L;
                }
                default -> throw new IllegalArgumentException(dtype.toString());
            }
        }

        /** Writes {@code bytes} random bytes of values, one buffer at a time. */
        void stream(SafetensorsWriter writer, long bytes) {
            long left = bytes;
            while (left > 0) {
                int n = (int) Math.min(left, BUFFER_BYTES);
                buffer.clear();
                for (int i = 0; i < n; i += Long.BYTES) {
                    long r = random.nextLong();
                    buffer.putLong((r & keep) | (((r >>> mantissaBits) & pick) + base) << mantissaBits);
                }
                // Lanes are whole values, and a tensor's byte length is a whole number of values.
                buffer.flip().limit(n);
                writer.write(buffer);
                left -= n;
            }
        }
    }
}
