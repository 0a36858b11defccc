package org.vlmscope.fuzz;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;
import java.util.zip.ZipOutputStream;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.vlmscope.core.CheckpointWeights;
import org.vlmscope.core.DType;
import org.vlmscope.core.ModelManifest;
import org.vlmscope.core.SafetensorsFile;
import org.vlmscope.core.SafetensorsWriter;
import org.vlmscope.core.SafetensorsWriter.NamedTensor;
import org.vlmscope.core.TensorInfo;
import org.vlmscope.core.VectorFile;
import org.vlmscope.exporter.config.HfConfigReader;
import org.vlmscope.experiments.records.AblationRecord;
import org.vlmscope.experiments.records.Answer;
import org.vlmscope.experiments.records.InputFile;
import org.vlmscope.experiments.records.RecordJson;
import org.vlmscope.experiments.records.RecordLog;
import org.vlmscope.experiments.records.ResultsFolder;
import org.vlmscope.experiments.records.RunManifest;
import org.vlmscope.golden.GoldenFixture;
import org.vlmscope.models.DemoCheckpoint;
import org.vlmscope.models.MiniJinja;
import org.vlmscope.graph.ExternalData;
import org.vlmscope.graph.OnnxModel;
import org.vlmscope.runtime.intervene.Positions;
import org.vlmscope.runtime.diff.ActivationDiff;
import org.vlmscope.runtime.diff.DiffReport;
import org.vlmscope.runtime.image.ClipImageProcessor;
import org.vlmscope.runtime.image.ImageDecoder;
import org.vlmscope.runtime.image.RgbImage;
import org.vlmscope.runtime.text.Tokenizer;

/**
 * Every file parser fed a few hundred seeded mutations of a valid input (issue 8, "Bad input"): each case ends in
 * success or in a one-line VlmscopeException naming the input, within seconds and a bounded allocation
 * ({@link Fuzz}). The seeds are fixed, so a failure reproduces with {@link Fuzz#replay} and the printed case seed.
 */
class ParserFuzzTest {
    private static final long SEED = 0x5EED_2026_1130L;
    private static final int CASES = 300;
    /** For the parsers whose cases take tens of milliseconds (a native tokenizer, image resizing). */
    private static final int SLOW_CASES = 200;
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    static Path shared;
    static Path golden;
    static Path model;

    @TempDir
    Path tmp;

    @BeforeAll
    static void export() {
        try (GoldenFixture f = GoldenFixture.load("llava-tiny")) {
            golden = f.checkpoint();
        }
        model = shared.resolve("model");
        org.vlmscope.cli.Cli.ok("export", golden.toString(), "-o", model.toString());
    }

    /** A dump like {@code run --cache} writes: per-layer hooks, lens tensors, and every dtype the reader decodes. */
    private static byte[] validDump(Path dir) throws IOException {
        Path file = dir.resolve("valid.safetensors");
        ByteBuffer half = ByteBuffer.allocate(6).order(ByteOrder.LITTLE_ENDIAN).putShort((short) 0x3C00)
                .putShort((short) 0xC000).putShort((short) 0x7C00).flip();
        ByteBuffer bf16 = ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putShort((short) 0x3F80)
                .putShort((short) 0x4040).flip();
        SafetensorsWriter.writeAll(file, Map.of("model_dir", "/m"), List.of(
                NamedTensor.ofFloats("blocks.0.hook_resid_post", new long[] {1, 2, 3}, new float[] {1, 2, 3, 4, 5, 6}),
                NamedTensor.ofFloats("blocks.1.hook_resid_post", new long[] {1, 2, 3}, new float[] {6, 5, 4, 3, 2, 1}),
                NamedTensor.ofLongs("lens.top_ids", new long[] {2, 1, 2, 2}, new long[] {1, 2, 3, 4, 5, 6, 7, 8}),
                NamedTensor.ofFloats("lens.top_probs", new long[] {2, 1, 2, 2}, new float[] {.5f, .1f, .4f, .2f, .3f,
                        .3f, .2f, .1f}),
                new NamedTensor("logits", DType.F16, new long[] {1, 1, 3}, half),
                new NamedTensor("bf", DType.BF16, new long[] {2}, bf16),
                NamedTensor.ofFloats("empty", new long[] {0, 2}, new float[0])));
        return Files.readAllBytes(file);
    }

    /** Reads every tensor the way the tools do, so a header that opens but lies is caught too. */
    private static void readAll(Path file) {
        try (SafetensorsFile f = SafetensorsFile.open(file)) {
            for (TensorInfo t : f.tensors()) {
                if (t.dtype().isFloating()) {
                    f.toFloatArray(t.name());
                } else {
                    f.toLongArray(t.name());
                }
            }
        }
    }

    /** Half the cases mutate the bytes, half the JSON header (so the header still parses and its values are probed). */
    private static byte[] mutateSafetensors(Random r, byte[] valid) throws IOException {
        if (r.nextBoolean()) {
            return Mutations.bytes(r, valid);
        }
        ByteBuffer in = ByteBuffer.wrap(valid).order(ByteOrder.LITTLE_ENDIAN);
        int headerLength = (int) in.getLong(0);
        JsonNode header = JSON.readTree(Arrays.copyOfRange(valid, 8, 8 + headerLength));
        byte[] json = JSON.writeValueAsBytes(Mutations.json(r, header));
        byte[] data = Arrays.copyOfRange(valid, 8 + headerLength, valid.length);
        ByteBuffer out = ByteBuffer.allocate(8 + json.length + data.length).order(ByteOrder.LITTLE_ENDIAN);
        return out.putLong(json.length).put(json).put(data).array();
    }

    @Test
    void safetensors() throws IOException {
        byte[] valid = validDump(tmp);
        Path file = tmp.resolve("fuzzed.safetensors");
        Fuzz.run("safetensors", SEED, CASES, file.toString(), Fuzz.DEFAULT_LIMITS, r -> {
            Files.write(file, mutateSafetensors(r, valid));
            readAll(file);
        });
    }

    @Test
    void diff() throws IOException {
        byte[] valid = validDump(tmp);
        Path a = Files.write(tmp.resolve("a.safetensors"), valid);
        Path b = tmp.resolve("b.safetensors");
        Fuzz.run("diff", SEED + 1, CASES, b.toString(), Fuzz.DEFAULT_LIMITS, r -> {
            Files.write(b, mutateSafetensors(r, valid));
            for (String format : List.of("table", "csv", "json")) {
                DiffReport.format(ActivationDiff.compare(a, b), format);
            }
        });
    }

    private static Path torchFixture(String name) {
        return golden.resolve("../../../torch-vectors").resolve(name).normalize();
    }

    /** The archive's entries with {@code data.pkl} replaced, re-zipped as torch stores them. */
    private static byte[] withPickle(Path archive, byte[] pickle) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (ZipFile in = new ZipFile(archive.toFile()); ZipOutputStream out = new ZipOutputStream(bytes)) {
            for (ZipEntry e : java.util.Collections.list(in.entries())) {
                out.putNextEntry(new ZipEntry(e.getName()));
                out.write(e.getName().endsWith("data.pkl") ? pickle : in.getInputStream(e).readAllBytes());
                out.closeEntry();
            }
        }
        return bytes.toByteArray();
    }

    private static byte[] pickleOf(Path archive) throws IOException {
        try (ZipFile in = new ZipFile(archive.toFile())) {
            for (ZipEntry e : java.util.Collections.list(in.entries())) {
                if (e.getName().endsWith("data.pkl")) {
                    return in.getInputStream(e).readAllBytes();
                }
            }
        }
        throw new IllegalStateException(archive + " has no data.pkl");
    }

    @Test
    void torchVectors() throws IOException {
        List<Path> seeds = List.of(torchFixture("vector-f32.pt"), torchFixture("view-offset-f32.pt"),
                torchFixture("vector64-f32.pt"));
        Path file = tmp.resolve("fuzzed.pt");
        Fuzz.run("torch .pt", SEED + 2, CASES, file.toString(), Fuzz.DEFAULT_LIMITS, r -> {
            Path seed = seeds.get(r.nextInt(seeds.size()));
            byte[] archive = r.nextBoolean() ? Mutations.bytes(r, Files.readAllBytes(seed))
                    : withPickle(seed, Mutations.bytes(r, pickleOf(seed)));
            Files.write(file, archive);
            VectorFile.read(file.toString());
        });
    }

    /** Tree mutations in most cases (a manifest that parses but is wrong), byte mutations in the rest. */
    private static byte[] mutateJson(Random r, byte[] valid) throws IOException {
        return r.nextInt(4) == 0 ? Mutations.bytes(r, valid)
                : JSON.writeValueAsBytes(Mutations.json(r, JSON.readTree(valid)));
    }

    @Test
    void modelManifest() throws IOException {
        byte[] valid = Files.readAllBytes(model.resolve(ModelManifest.FILE));
        Path dir = Files.createDirectories(tmp.resolve("model"));
        Fuzz.run("vlmscope.json", SEED + 3, CASES, dir.toString(), Fuzz.DEFAULT_LIMITS, r -> {
            Files.write(dir.resolve(ModelManifest.FILE), mutateJson(r, valid));
            ModelManifest.read(dir);
        });
    }

    @Test
    void hfConfig() throws IOException {
        byte[] valid = Files.readAllBytes(golden.resolve("config.json"));
        Path dir = Files.createDirectories(tmp.resolve("checkpoint"));
        Fuzz.run("config.json", SEED + 4, CASES, dir.toString(), Fuzz.DEFAULT_LIMITS, r -> {
            Files.write(dir.resolve("config.json"), mutateJson(r, valid));
            HfConfigReader.read(dir);
        });
    }

    /** A sharded checkpoint's index (JSON) pointing at the golden weights. */
    @Test
    void checkpointIndex() throws IOException {
        Path dir = Files.createDirectories(tmp.resolve("sharded"));
        Files.copy(golden.resolve("model.safetensors"), dir.resolve("model-00001-of-00001.safetensors"));
        ObjectNode index = JSON.createObjectNode();
        index.putObject("metadata").put("total_size", Files.size(golden.resolve("model.safetensors")));
        ObjectNode map = index.putObject("weight_map");
        try (SafetensorsFile f = SafetensorsFile.open(golden.resolve("model.safetensors"))) {
            f.names().forEach(n -> map.put(n, "model-00001-of-00001.safetensors"));
        }
        byte[] valid = JSON.writeValueAsBytes(index);
        Fuzz.run("model.safetensors.index.json", SEED + 5, CASES, dir.toString(), Fuzz.DEFAULT_LIMITS, r -> {
            Files.write(dir.resolve("model.safetensors.index.json"), mutateJson(r, valid));
            try (CheckpointWeights w = CheckpointWeights.open(dir)) {
                for (String name : new ArrayList<>(w.names())) {
                    w.info(name);
                }
            }
        });
    }

    @Test
    void preprocessorConfig() throws IOException {
        byte[] valid = Files.readAllBytes(golden.resolve("preprocessor_config.json"));
        Path file = tmp.resolve("preprocessor_config.json");
        RgbImage wide = RgbImage.filled(30, 12, 10, 200, 90);
        Fuzz.run("preprocessor_config.json", SEED + 6, SLOW_CASES, file.toString(),
                new Fuzz.Limits(Duration.ofSeconds(10), 512L << 20), r -> {
            Files.write(file, mutateJson(r, valid));
            ClipImageProcessor p = ClipImageProcessor.fromConfig(file);
            p.pixelValues(wide);
            p.pixelValuesPadded(wide);
        });
    }

    private static byte[] encoded(String format, int type) throws IOException {
        BufferedImage image = new BufferedImage(24, 16, type);
        for (int y = 0; y < 16; y++) {
            for (int x = 0; x < 24; x++) {
                image.setRGB(x, y, x * 0x0A0503 + y * 0x030A05);
            }
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ImageIO.write(image, format, out);
        return out.toByteArray();
    }

    /** The chunks' CRCs recomputed where the chunk layout still holds; the rest of the bytes kept as they are. */
    private static byte[] withPngCrcs(byte[] png) {
        byte[] out = png.clone();
        ByteBuffer b = ByteBuffer.wrap(out);
        for (int at = 8; at + 12 <= out.length; ) {
            long length = b.getInt(at) & 0xFFFFFFFFL;
            if (at + 12 + length > out.length) {
                break;
            }
            java.util.zip.CRC32 crc = new java.util.zip.CRC32();
            crc.update(out, at + 4, (int) length + 4);
            b.putInt(at + 8 + (int) length, (int) crc.getValue());
            at += 12 + (int) length;
        }
        return out;
    }

    /**
     * PNG and JPEG decoding under a one-megapixel limit: a mutated header may claim any size, and the decoder must
     * refuse it before allocating, so each case stays within a few megabytes of pixels.
     */
    @Test
    void images() throws IOException {
        List<byte[]> seeds = List.of(encoded("png", BufferedImage.TYPE_INT_RGB),
                encoded("png", BufferedImage.TYPE_BYTE_GRAY), encoded("jpeg", BufferedImage.TYPE_INT_RGB),
                encoded("jpeg", BufferedImage.TYPE_BYTE_GRAY));
        ImageDecoder decoder = ImageDecoder.defaults().withMaxPixels(1_000_000);
        Path file = tmp.resolve("fuzzed.img");
        Fuzz.run("images", SEED + 7, CASES, file.toString(), new Fuzz.Limits(Duration.ofSeconds(10), 64L << 20),
                r -> {
            int seed = r.nextInt(seeds.size());
            byte[] mutated = Mutations.bytes(r, seeds.get(seed));
            // Half the PNG cases get their CRCs recomputed, so the mutation reaches the decoder behind the CRC check.
            Files.write(file, seed < 2 && r.nextBoolean() ? withPngCrcs(mutated) : mutated);
            decoder.decode(file);
        });
    }

    /** A position or layer list as a user might mistype it: digits, separators, blanks, words and edge numbers. */
    private static String positionList(Random r) {
        String[] atoms = {"0", "1", "4", "579", "-", ",", " ", "all", "x", "", "--", "4-579", "9-3", "-5",
                "2147483647", "2147483648", "99999999999", "4194303", "4194304", "0-4194303"};
        StringBuilder text = new StringBuilder();
        for (int n = r.nextInt(8); n >= 0; n--) {
            text.append(r.nextInt(3) == 0 ? Long.toString(Mutations.edgeInteger(r)) : atoms[r.nextInt(atoms.length)]);
        }
        return text.toString();
    }

    @Test
    void positionAndLayerLists() {
        Fuzz.run("position lists", SEED + 8, CASES, null, new Fuzz.Limits(Duration.ofSeconds(5), 64L << 20), r -> {
            String text = positionList(r);
            if (r.nextBoolean()) {
                Positions.parse(text, "position");
            } else {
                Positions.parseLayers(text, 1 + r.nextInt(80));
            }
        });
    }

    /** The demo checkpoint's tokenizer.json (a BPE vocabulary with added tokens), loaded and used on a prompt. */
    @Test
    void tokenizerJson() throws IOException {
        Path demo = tmp.resolve("demo");
        DemoCheckpoint.write(demo);
        byte[] valid = Files.readAllBytes(demo.resolve(Tokenizer.FILE));
        Path dir = Files.createDirectories(tmp.resolve("tokenizer"));
        Fuzz.run("tokenizer.json", SEED + 9, SLOW_CASES, dir.toString(), Fuzz.DEFAULT_LIMITS, r -> {
            Files.write(dir.resolve(Tokenizer.FILE), mutateJson(r, valid));
            try (Tokenizer t = Tokenizer.load(dir)) {
                t.decode(t.encode("USER: <image>\nWhat is this? ASSISTANT:"), true);
            }
        });
    }

    /** The exported graphs' protobuf, read as surgery and sessions read it, with their external data checked. */
    @Test
    void onnxGraphs() throws IOException {
        List<byte[]> seeds = List.of(Files.readAllBytes(model.resolve("embed.onnx")),
                Files.readAllBytes(model.resolve("vision.onnx")));
        Path dir = Files.createDirectories(tmp.resolve("graphs"));
        for (String data : List.of("embed.onnx.data", "vision.onnx.data")) {
            Files.copy(model.resolve(data), dir.resolve(data));
        }
        Path file = dir.resolve("fuzzed.onnx");
        Fuzz.run("onnx", SEED + 10, CASES, file.toString(), Fuzz.DEFAULT_LIMITS, r -> {
            Files.write(file, Mutations.bytes(r, seeds.get(r.nextInt(seeds.size()))));
            OnnxModel graph = OnnxModel.load(file);
            ExternalData.checkFiles(graph.graph(), dir, file.toString());
            graph.toBytes();
        });
    }

    /** Chat templates as checkpoints ship them (Phi-3's, a Vicuna-style one with set, trim and loop variables). */
    private static final List<String> CHAT_TEMPLATES = List.of(
            "{{ bos_token }}{% for message in messages %}{% if (message['role'] == 'user') %}{{'<|user|>' + '\\n' + "
                    + "message['content'] + '<|end|>' + '\\n' + '<|assistant|>' + '\\n'}}{% elif (message['role'] == "
                    + "'assistant') %}{{message['content'] + '<|end|>' + '\\n'}}{% endif %}{% endfor %}",
            "{%- set sep = ' ' -%}{% for m in messages %}{% if loop.first %}{{ bos_token }}{% endif %}{% if m.role == "
                    + "'user' %}USER: {{ m.content | trim }}{% else %}ASSISTANT: {{ m['content'].strip() ~ eos_token }}"
                    + "{% endif %}{{ sep }}{% endfor %}{% if add_generation_prompt is defined and "
                    + "add_generation_prompt %}ASSISTANT:{% endif %}{# comment #}");
    private static final String[] JINJA_PIECES = {"{%", "%}", "{{", "}}", "{#", "#}", "-", "for ", " in ", "if ",
            "endif", "endfor", "elif", "else", "set ", "(", ")", "[", "]", "'", "\"", ".", "|", "~", "+", "==", "not ",
            " and ", " or ", "loop.", "is defined", "messages", "\\", "\n"};

    @Test
    void chatTemplates() {
        Map<String, Object> context = Map.of("messages", List.of(Map.of("role", "user", "content", "<image>\nQ")),
                "add_generation_prompt", true, "bos_token", "<s>", "eos_token", "</s>");
        Fuzz.run("chat templates", SEED + 11, CASES, null, Fuzz.DEFAULT_LIMITS, r -> {
            StringBuilder t = new StringBuilder(CHAT_TEMPLATES.get(r.nextInt(CHAT_TEMPLATES.size())));
            for (int n = 1 + r.nextInt(4); n > 0; n--) {
                int at = r.nextInt(t.length() + 1);
                if (r.nextBoolean() && at < t.length()) {
                    t.delete(at, Math.min(t.length(), at + 1 + r.nextInt(12)));
                } else {
                    t.insert(at, JINJA_PIECES[r.nextInt(JINJA_PIECES.length)]);
                }
            }
            MiniJinja.parse(t.toString()).render(context);
        });
    }

    /** A results folder as an ablation run leaves it: run.json and two records, mutated one file at a time. */
    @Test
    void resultsFolders() throws IOException {
        RunManifest manifest = new RunManifest(RunManifest.FORMAT, RunManifest.ABLATION, "/m", "sha256:00",
                Map.of("dataset", new InputFile("/d.jsonl", "ab")), "paper", 7, Map.of("filter", "none"),
                Map.of("vlmscope", "0.1.0"));
        byte[] validManifest = RecordJson.FILES.writeValueAsBytes(manifest);
        String records = RecordJson.line(new AblationRecord("139", "cat", "generative", "object", 2, List.of(3, 4),
                true, false, new Answer("a cat", List.of(9L, 10L)), new Answer("a dog", List.of(9L, 11L)))) + "\n"
                + RecordJson.line(new AblationRecord("285", "bear", "polling", "random-2", 1, List.of(7), true, true,
                new Answer("Yes", List.of(3L)), new Answer("Yes", List.of(3L)))) + "\n";
        byte[] validRecords = records.getBytes(java.nio.charset.StandardCharsets.UTF_8);
        Path dir = Files.createDirectories(tmp.resolve("results"));
        Fuzz.run("results folder", SEED + 12, CASES, dir.toString(), Fuzz.DEFAULT_LIMITS, r -> {
            boolean manifestCase = r.nextBoolean();
            Files.write(dir.resolve(RunManifest.FILE), manifestCase ? mutateJson(r, validManifest) : validManifest);
            Files.write(dir.resolve(RecordLog.FILE), manifestCase ? validRecords : mutateJsonLines(r, validRecords));
            ResultsFolder.read(dir);
        });
    }

    /** One line of a JSON-lines file mutated as a tree (most cases) or the file's bytes mutated. */
    private static byte[] mutateJsonLines(Random r, byte[] valid) throws IOException {
        if (r.nextInt(4) == 0) {
            return Mutations.bytes(r, valid);
        }
        String[] lines = new String(valid, java.nio.charset.StandardCharsets.UTF_8).split("\n");
        int i = r.nextInt(lines.length);
        lines[i] = JSON.writeValueAsString(Mutations.json(r, JSON.readTree(lines[i])));
        return (String.join("\n", lines) + "\n").getBytes(java.nio.charset.StandardCharsets.UTF_8);
    }
}
