package org.vlmscope.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code vlmscope inspect} on the exported llava-tiny model (4 layers, d_model 64, 2 KV heads of 16). */
class InspectCommandTest {
    @TempDir
    static Path shared;
    static Path model;

    @TempDir
    Path tmp;

    @BeforeAll
    static void export() {
        model = shared.resolve("model");
        Cli.ok("export", ExportCommandTest.golden().toString(), "-o", model.toString());
    }

    @Test
    void modelDirectory() {
        String out = Cli.ok("inspect", model.toString()).out();
        assertTrue(out.contains("family llava, text model llama, dtype fp32"), out);
        assertTrue(out.contains("text:   4 layers, d_model 64, 4 heads (2 kv, head_dim 16), vocab 1024"), out);
        assertTrue(out.contains("576 visual tokens"), out);
        assertTrue(out.indexOf("vision.onnx: opset 17") < out.indexOf("embed.onnx: opset 17")
                && out.indexOf("embed.onnx: opset 17") < out.indexOf("decoder.onnx: opset 17"), out);
        assertLine(out, "pixel_values\\s+float32\\[batch,3,336,336\\]");
        assertLine(out, "input_ids\\s+int64\\[batch,sequence\\]");
        assertLine(out, "hook_embed");
        assertLine(out, "projector.hook_out");
        assertLine(out, "vision.hook_embed");
        assertDecoder(out);
    }

    @Test
    void singleGraphFile() {
        String out = Cli.ok("inspect", model.resolve("decoder.onnx").toString()).out();
        assertTrue(out.contains("graph 'decoder'"), out);
        assertFalse(out.contains("vision.onnx") || out.contains("family llava"), out);
        assertDecoder(out);
    }

    /** Only graph files and the manifest are read: the weight data may be absent and the sizes still show. */
    @Test
    void neverReadsWeightData() throws IOException {
        String before = Cli.ok("inspect", model.toString()).out();
        Path copy = Files.createDirectories(tmp.resolve("model"));
        try (Stream<Path> files = Files.list(model)) {
            for (Path f : files.toList()) {
                if (!f.getFileName().toString().endsWith(".data")) {
                    Files.copy(f, copy.resolve(f.getFileName()));
                }
            }
        }
        String after = Cli.ok("inspect", copy.toString()).out();
        assertEquals(before.replace(model.toString(), copy.toString()), after);
    }

    @Test
    void pathThatIsNeitherIsRefused() throws IOException {
        Path text = Files.writeString(tmp.resolve("notes.txt"), "hello");
        Cli.failsWith(Cli.run("inspect", text.toString()), text.toString(), "neither");
        Cli.failsWith(Cli.run("inspect", tmp.toString()), tmp.toString(), "vlmscope.json");
        Path absent = tmp.resolve("absent");
        Cli.failsWith(Cli.run("inspect", absent.toString()), absent.toString(), "no such file");
        Path garbage = Files.writeString(tmp.resolve("garbage.onnx"), "not a protobuf at all");
        Cli.failsWith(Cli.run("inspect", garbage.toString()), garbage.toString());
    }

    private static void assertDecoder(String out) {
        assertLine(out, "inputs_embeds\\s+float32\\[batch,sequence,64\\]");
        assertLine(out, "attention_mask\\s+int64\\[batch,total_sequence\\]");
        assertLine(out, "past_key_values\\.\\{0\\.\\.3\\}\\.key\\s+float32\\[batch,2,past_sequence,16\\]");
        assertLine(out, "present\\.\\{0\\.\\.3\\}\\.value\\s+float32\\[batch,2,total_sequence,16\\]");
        assertLine(out, "logits\\s+float32\\[batch,sequence,1024\\]");
        for (String hook : List.of("blocks.{0..3}.hook_resid_pre", "blocks.{0..3}.hook_resid_post",
                "blocks.{0..3}.attn.hook_pattern", "blocks.{0..3}.attn.hook_attn_scores", "ln_final.hook_normalized")) {
            assertLine(out, Pattern.quote(hook));
        }
        assertFalse(out.contains("blocks.0.hook_resid_post"), "layer indices are collapsed:\n" + out);
    }

    private static void assertLine(String out, String regex) {
        assertTrue(Pattern.compile("(?m)^\\s+" + regex + "$").matcher(out).find(), () -> regex + " in\n" + out);
    }
}
