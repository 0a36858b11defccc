package org.vlmscope.models;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeMap;
import javax.imageio.ImageIO;
import org.vlmscope.core.DType;
import org.vlmscope.core.SafetensorsWriter;
import org.vlmscope.core.SafetensorsWriter.TensorSpec;
import org.vlmscope.core.VlmscopeException;

/**
 * The shipped demo model: a tiny LLaVA-1.5-style checkpoint (CLIP vision tower, projector, Llama) in real Hugging
 * Face format, with the golden llava-tiny's dimensions and random weights. It is generated rather than stored, so
 * the weights come from a seeded generator and pure arithmetic: the same bytes on every run and every JVM. Its
 * tokenizer is a small Llama-style byte-fallback BPE, trained here by a deterministic procedure on a fixed word
 * list, so the demo can take questions as text.
 */
public final class DemoCheckpoint {
    /** Image placeholder id; the runtime expands one placeholder into {@link #VISUAL_TOKENS} visual tokens. */
    public static final int IMAGE_TOKEN = 1000;
    public static final int PAD_TOKEN = 1001;
    public static final int IMAGE_SIZE = 336;
    public static final int VISUAL_TOKENS = (IMAGE_SIZE / 14) * (IMAGE_SIZE / 14);
    /** The demo's question in LLaVA-1.5's template; {@link #demoInputIds()} is what the demo tokenizer makes of it. */
    public static final String DEMO_PROMPT = "USER: <image>\nWhat is in this image? ASSISTANT:";

    static final LlavaShape SHAPE = new LlavaShape(
            new LlavaShape.Vision(64, 128, 3, 4, IMAGE_SIZE, 14),
            new LlavaShape.Text(64, 128, 4, 4, 2, 1024, 2048, 1e-5),
            IMAGE_TOKEN, PAD_TOKEN);

    private static final long SEED = 0x766c_6d73_636f_7065L;
    /** Hugging Face's initializer_range. */
    private static final double WEIGHT_STD = 0.02;
    /** Norm weights are 1 plus this much noise, biases this much noise: HF would init them to exactly 1 and 0. */
    private static final double NORM_NOISE_STD = 0.02;
    private static final double BIAS_STD = 0.01;

    /** CLIP's normalisation constants, as float32 like the image processor's arrays. */
    private static final float[] CLIP_MEAN = {0.48145466f, 0.4578275f, 0.40821073f};
    private static final float[] CLIP_STD = {0.26862954f, 0.26130258f, 0.27577711f};

    private DemoCheckpoint() {
    }

    /**
     * Writes config.json, model.safetensors, preprocessor_config.json, generation_config.json and the tokenizer
     * (tokenizer.json, tokenizer_config.json, special_tokens_map.json) into dir.
     */
    public static void write(Path dir) {
        try {
            Files.createDirectories(dir);
        } catch (IOException e) {
            throw new VlmscopeException("cannot create " + dir + ": " + e.getMessage(), e);
        }
        HfJson.write(dir.resolve("config.json"), SHAPE.config("float32"));
        HfJson.write(dir.resolve("generation_config.json"), SHAPE.generationConfig());
        HfJson.write(dir.resolve("preprocessor_config.json"), SHAPE.preprocessorConfig());
        writeWeights(dir.resolve("model.safetensors"));
        HfJson.write(dir.resolve("tokenizer.json"), tokenizer());
        HfJson.write(dir.resolve("tokenizer_config.json"), tokenizerConfig());
        HfJson.write(dir.resolve("special_tokens_map.json"), specialTokensMap());
    }

    /**
     * {@link #DEMO_PROMPT} as the demo tokenizer encodes it: BOS, {@code ▁USER : ▁}, the image placeholder,
     * {@code <0x0A> What ▁is ▁in ▁this ▁image ? ▁ASSISTANT :}. The runtime's tokenizer tests check these ids against
     * the Hugging Face tokenizers library.
     */
    public static long[] demoInputIds() {
        return new long[] {LlavaShape.BOS, 357, 285, 259, IMAGE_TOKEN, 13, 407, 372, 378, 384, 390, 290, 369, 285};
    }

    /**
     * A [1, 3, 336, 336] image tensor as CLIPImageProcessor hands it to the model: a smooth colour gradient with a
     * disc and a rectangle on it, as 8-bit RGB, rescaled by 1/255 and normalised with CLIP's mean and std.
     */
    public static float[] demoPixelValues() {
        int n = IMAGE_SIZE;
        float[] pixels = new float[3 * n * n];
        for (int y = 0; y < n; y++) {
            for (int x = 0; x < n; x++) {
                int[] rgb = demoPixel(x, y, n);
                for (int c = 0; c < 3; c++) {
                    // As the processor does: rescale in double, store float32, normalise in float32.
                    float scaled = (float) (rgb[c] * (1.0 / 255));
                    pixels[(c * n + y) * n + x] = (scaled - CLIP_MEAN[c]) / CLIP_STD[c];
                }
            }
        }
        return pixels;
    }

    /**
     * Writes the picture behind {@link #demoPixelValues()} to {@code png} as an 8-bit RGB PNG. It is already
     * 336x336, so CLIPImageProcessor neither resizes nor crops it and its preprocessing of this file gives exactly
     * {@link #demoPixelValues()}: the demo can run a real image file through the whole pipeline.
     */
    public static void writeDemoImage(Path png) {
        int n = IMAGE_SIZE;
        BufferedImage image = new BufferedImage(n, n, BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < n; y++) {
            for (int x = 0; x < n; x++) {
                int[] rgb = demoPixel(x, y, n);
                image.setRGB(x, y, rgb[0] << 16 | rgb[1] << 8 | rgb[2]);
            }
        }
        try {
            if (!ImageIO.write(image, "png", png.toFile())) {
                throw new IllegalStateException("this JDK has no PNG writer for javax.imageio");
            }
        } catch (IOException e) {
            throw new VlmscopeException("cannot write " + png + ": " + e.getMessage(), e);
        }
    }

    /** The 8-bit RGB colour of pixel (x, y), in integer arithmetic only. */
    private static int[] demoPixel(int x, int y, int n) {
        int dx = x - n * 2 / 3;
        int dy = y - n / 3;
        int radius = n / 6;
        if (dx * dx + dy * dy <= radius * radius) {
            return new int[] {230, 200, 40};
        }
        if (x >= n / 8 && x < n * 3 / 8 && y >= n * 5 / 8 && y < n * 7 / 8) {
            return new int[] {30, 60, 200};
        }
        int max = n - 1;
        return new int[] {255 * x / max, 255 * y / max, 255 * (2 * max - x - y) / (2 * max)};
    }

    /**
     * One generator, consumed tensor by tensor in file order. The file holds the tensors sorted by name, as the
     * safetensors library writes a single-dtype state dict.
     */
    private static void writeWeights(Path file) {
        List<TensorSpec> specs = SHAPE.tensors(DType.F32).stream()
                .sorted(Comparator.comparing(TensorSpec::name)).toList();
        SplittableRandom random = new SplittableRandom(SEED);
        try (SafetensorsWriter writer = SafetensorsWriter.create(file, Map.of("format", "pt"), specs)) {
            for (TensorSpec spec : specs) {
                writer.write(values(spec, random));
            }
        }
    }

    /** Rank-1 {@code .weight} tensors are exactly the norm weights (class_embedding is not a {@code .weight}). */
    private static ByteBuffer values(TensorSpec spec, SplittableRandom random) {
        long[] shape = spec.shape();
        boolean norm = shape.length == 1 && spec.name().endsWith(".weight");
        boolean bias = spec.name().endsWith(".bias");
        double mean = norm ? 1.0 : 0.0;
        double std = norm ? NORM_NOISE_STD : bias ? BIAS_STD : WEIGHT_STD;
        int count = Math.toIntExact(spec.byteLength() / Float.BYTES);
        ByteBuffer bytes = ByteBuffer.allocate(count * Float.BYTES).order(ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < count; i += 2) {
            // Box-Muller: two standard normals per pair of uniforms; StrictMath makes them bit-identical anywhere.
            double u1 = 1.0 - random.nextDouble();
            double u2 = random.nextDouble();
            double r = StrictMath.sqrt(-2.0 * StrictMath.log(u1));
            double angle = 2.0 * StrictMath.PI * u2;
            bytes.putFloat((float) (mean + std * r * StrictMath.cos(angle)));
            if (i + 1 < count) {
                bytes.putFloat((float) (mean + std * r * StrictMath.sin(angle)));
            }
        }
        return bytes.flip();
    }

    /** SentencePiece's word-start marker: a space, and the start of the text. */
    private static final String SPACE = "\u2581";
    private static final String UNK = "<unk>";
    private static final String BOS_TEXT = "<s>";
    private static final String EOS_TEXT = "</s>";
    private static final String IMAGE_TEXT = "<image>";
    private static final String PAD_TEXT = "<pad>";
    /** The tokens matched whole in text before BPE, all special: skipped when decoding with skip_special_tokens. */
    private static final Map<Integer, String> ADDED_TOKENS = new TreeMap<>(Map.of(0, UNK, LlavaShape.BOS, BOS_TEXT,
            LlavaShape.EOS, EOS_TEXT, IMAGE_TOKEN, IMAGE_TEXT, PAD_TOKEN, PAD_TEXT));

    /**
     * The BPE training words, most frequent first. Words of the first list follow a space (or open the text), so
     * they start with {@link #SPACE}; those of the second open a line, as a question does after the template's
     * {@code <image>\n}. The list is longer than the vocabulary can hold, so training fills every id below the
     * image token and the rarest words stay split.
     */
    private static final String SPACED_WORDS = """
            USER ASSISTANT is in this image the a there Is What It Yes No of and to with on are an picture photo
            what how many color Describe describe shown show see can you it that This The A There detail object
            objects left right top bottom front behind next near one two three some people person man woman child
            dog cat car bus bird horse sheep cow elephant bear zebra giraffe train truck boat bicycle motorcycle
            airplane table chair bed couch tree trees grass sky water road street building room red blue green
            yellow white black brown large small sitting standing holding looking has have its they he she his her
            be was were not do does as or but up down out over under very also answer question word single phrase
            using sure cup ball book phone food pizza cake banana apple clock kite umbrella bench bottle bowl laptop
            four five six seven eight ten much more most other another each every all both few first last new old
            good great little long big high round open empty full light dark bright window door wall floor ceiling
            kitchen bathroom house field beach mountain snow ocean river park city plate fork knife spoon glass wine
            sandwich orange broccoli carrot donut hot vase scissors toothbrush bag suitcase backpack tie skateboard
            surfboard skis frisbee baseball bat glove tennis racket sports keyboard mouse remote television oven sink
            refrigerator toilet microwave toaster walking running riding playing eating drinking wearing flying
            lying parked shirt hat jacket dress hair face hand hands head eyes day night sun cloud clouds rain
            because while where when which who why from into through around between above below would could should
            will may might must shall get got make made take took give gave go going went come came know think like
            want need use find tell ask seem feel try leave call
            """;
    private static final String LINE_START_WORDS = """
            What Is Describe How Are Where Which Who Answer The There Please Compare
            """;

    /**
     * tokenizer.json as the tokenizers library writes a Llama tokenizer converted with {@code legacy=false}: BPE
     * with byte fallback, a Metaspace pre-tokenizer that marks only the start of the text (no extra {@code ▁} after
     * special tokens), BOS added by the post-processor, and Llama's decoder. {@code <image>} and {@code <pad>} are
     * added tokens right after the model vocabulary, as in llava-hf's tokenizer.
     */
    private static Map<String, Object> tokenizer() {
        LinkedHashSet<String> vocab = new LinkedHashSet<>(List.of(UNK, BOS_TEXT, EOS_TEXT));
        for (int b = 0; b < 256; b++) {
            vocab.add(String.format("<0x%02X>", b));
        }
        vocab.add(SPACE);
        for (char c = '!'; c <= '~'; c++) {
            vocab.add(String.valueOf(c));
        }
        List<List<String>> merges = trainMerges(vocab);
        Map<String, Object> vocabIds = new TreeMap<>();
        int id = 0;
        for (String token : vocab) {
            vocabIds.put(token, id++);
        }
        Map<String, Object> model = new TreeMap<>();
        model.put("type", "BPE");
        model.put("dropout", null);
        model.put("unk_token", UNK);
        model.put("continuing_subword_prefix", null);
        model.put("end_of_word_suffix", null);
        model.put("fuse_unk", true);
        model.put("byte_fallback", true);
        model.put("ignore_merges", false);
        model.put("vocab", vocabIds);
        model.put("merges", merges);

        Map<String, Object> json = new TreeMap<>();
        json.put("version", "1.0");
        json.put("truncation", null);
        json.put("padding", null);
        List<Map<String, Object>> added = new ArrayList<>();
        ADDED_TOKENS.forEach((tokenId, content) -> {
            Map<String, Object> token = new TreeMap<>(specialToken(content));
            token.put("id", tokenId);
            token.put("special", true);
            added.add(token);
        });
        json.put("added_tokens", added);
        json.put("normalizer", null);
        json.put("pre_tokenizer", Map.of("type", "Metaspace", "replacement", SPACE, "prepend_scheme", "first",
                "split", false));
        Map<String, Object> bos = Map.of("SpecialToken", Map.of("id", BOS_TEXT, "type_id", 0));
        json.put("post_processor", Map.of(
                "type", "TemplateProcessing",
                "single", List.of(bos, Map.of("Sequence", Map.of("id", "A", "type_id", 0))),
                "pair", List.of(bos, Map.of("Sequence", Map.of("id", "A", "type_id", 0)),
                        Map.of("SpecialToken", Map.of("id", BOS_TEXT, "type_id", 1)),
                        Map.of("Sequence", Map.of("id", "B", "type_id", 1))),
                "special_tokens", Map.of(BOS_TEXT, Map.of("id", BOS_TEXT, "ids", List.of(LlavaShape.BOS),
                        "tokens", List.of(BOS_TEXT)))));
        json.put("decoder", Map.of("type", "Sequence", "decoders", List.of(
                Map.of("type", "Replace", "pattern", Map.of("String", SPACE), "content", " "),
                Map.of("type", "ByteFallback"),
                Map.of("type", "Fuse"),
                Map.of("type", "Strip", "content", " ", "start", 1, "stop", 0))));
        json.put("model", model);
        return json;
    }

    /**
     * Classic BPE training: start from single characters, repeatedly merge the adjacent pair with the highest
     * weighted count (ties to the smaller pair in string order, so the result never depends on hash order), until
     * {@code vocab} reaches the image token's id. Word weights fall as 1/rank, a Zipf-like frequency. Adds the new
     * tokens to {@code vocab} and returns the merges in rank order.
     */
    private static List<List<String>> trainMerges(LinkedHashSet<String> vocab) {
        List<String> words = new ArrayList<>();
        for (String w : SPACED_WORDS.strip().split("\\s+")) {
            words.add(SPACE + w);
        }
        words.addAll(Arrays.asList(LINE_START_WORDS.strip().split("\\s+")));
        Map<List<String>, Long> corpus = new LinkedHashMap<>();
        for (int rank = 0; rank < words.size(); rank++) {
            List<String> chars = words.get(rank).codePoints().mapToObj(Character::toString).toList();
            corpus.merge(chars, 100_000L / (rank + 1), Long::sum);
        }
        Comparator<Map.Entry<List<String>, Long>> best = Map.Entry.<List<String>, Long>comparingByValue().reversed()
                .thenComparing(e -> e.getKey().get(0))
                .thenComparing(e -> e.getKey().get(1));
        List<List<String>> merges = new ArrayList<>();
        while (vocab.size() < IMAGE_TOKEN) {
            Map<List<String>, Long> pairs = new HashMap<>();
            corpus.forEach((symbols, weight) -> {
                for (int i = 0; i + 1 < symbols.size(); i++) {
                    pairs.merge(List.of(symbols.get(i), symbols.get(i + 1)), weight, Long::sum);
                }
            });
            if (pairs.isEmpty()) {
                throw new IllegalStateException("the demo tokenizer's word list yields " + vocab.size()
                        + " tokens, fewer than the " + IMAGE_TOKEN + " ids below the image token");
            }
            List<String> pair = pairs.entrySet().stream().min(best).orElseThrow().getKey();
            merges.add(pair);
            vocab.add(pair.get(0) + pair.get(1));
            Map<List<String>, Long> merged = new LinkedHashMap<>();
            corpus.forEach((symbols, weight) -> merged.merge(merge(symbols, pair), weight, Long::sum));
            corpus = merged;
        }
        return merges;
    }

    /** {@code symbols} with every occurrence of {@code pair} joined, left to right, as BPE applies a merge. */
    private static List<String> merge(List<String> symbols, List<String> pair) {
        List<String> out = new ArrayList<>(symbols.size());
        for (int i = 0; i < symbols.size(); i++) {
            if (i + 1 < symbols.size() && symbols.get(i).equals(pair.get(0)) && symbols.get(i + 1).equals(pair.get(1))) {
                out.add(pair.get(0) + pair.get(1));
                i++;
            } else {
                out.add(symbols.get(i));
            }
        }
        return out;
    }

    /** An AddedToken's fields as special_tokens_map.json spells them. */
    private static Map<String, Object> specialToken(String content) {
        return Map.of("content", content, "lstrip", false, "normalized", false, "rstrip", false,
                "single_word", false);
    }

    /** tokenizer_config.json after llava-hf/llava-1.5-7b-hf's, for this vocabulary. */
    private static Map<String, Object> tokenizerConfig() {
        Map<String, Object> decoder = new TreeMap<>();
        ADDED_TOKENS.forEach((tokenId, content) -> {
            Map<String, Object> entry = new TreeMap<>(specialToken(content));
            entry.put("special", true);
            decoder.put(tokenId.toString(), entry);
        });
        Map<String, Object> config = new TreeMap<>();
        config.put("add_bos_token", true);
        config.put("add_eos_token", false);
        config.put("added_tokens_decoder", decoder);
        config.put("bos_token", BOS_TEXT);
        config.put("clean_up_tokenization_spaces", false);
        config.put("eos_token", EOS_TEXT);
        config.put("image_token", IMAGE_TEXT);
        config.put("legacy", false);
        config.put("model_max_length", SHAPE.text().maxPositions());
        config.put("pad_token", PAD_TEXT);
        config.put("padding_side", "left");
        config.put("processor_class", "LlavaProcessor");
        config.put("tokenizer_class", "LlamaTokenizer");
        config.put("unk_token", UNK);
        return config;
    }

    private static Map<String, Object> specialTokensMap() {
        return Map.of("bos_token", specialToken(BOS_TEXT), "eos_token", specialToken(EOS_TEXT),
                "pad_token", specialToken(PAD_TEXT), "unk_token", specialToken(UNK));
    }
}
