package org.vlmscope.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.vlmscope.core.SafetensorsWriter.NamedTensor;
import org.vlmscope.models.DemoCheckpoint;
import org.vlmscope.runtime.session.Device;
import org.vlmscope.runtime.run.Forward;
import org.vlmscope.runtime.intervene.Intervention;
import org.vlmscope.runtime.session.ModelSession;

class DemoCommandTest {
    private static final Pattern LAYER_ROW = Pattern.compile(
            "(?m)^\\s+(\\d)\\s+(\\d+\\.\\d{4})\\s+(\\d+\\.\\d{4})\\s+(-?\\d\\.\\d{4})$");
    /** A row of the ablated-against-clean table: layer, then rel_l2 and cosine (max_abs and mean_abs skipped). */
    private static final Pattern DIFF_ROW = Pattern.compile(
            "(?m)^blocks\\.\\*\\.hook_resid_post\\s+(\\d)\\s+\\S+\\s+\\S+\\s+(\\S+)\\s+(\\S+)\\s*$");

    @TempDir
    Path tmp;

    @Test
    void runsEndToEndWithARowPerLayer() throws Exception {
        Path work = tmp.resolve("work");
        Cli.Result r = Cli.ok("demo", "--work", work.toString(), "--device", "cpu");
        String out = r.out();
        assertTrue(out.contains("blocks.{0..3}.hook_resid_post"), r::toString);
        assertTrue(out.contains("== question \"What is in this image?\" in the llava-1.5 template: "
                + org.vlmscope.runtime.text.PromptTemplate.quote(DemoCheckpoint.DEMO_PROMPT) + " -> 589 positions, visual tokens 4-579"), out);
        Matcher m = LAYER_ROW.matcher(out);
        int layer = 0;
        while (m.find()) {
            assertEquals(layer++, Integer.parseInt(m.group(1)), out);
            double cos = Double.parseDouble(m.group(4));
            assertTrue(cos >= -1 && cos <= 1, out);
        }
        assertEquals(4, layer, out);
        assertTrue(out.matches("(?s).*top-5 next tokens at the final position \\(id \\(logit\\)\\): "
                + "(\\d+ \\(-?\\d+\\.\\d+\\)\\s*){5}.*"), out);
        assertTrue(Files.exists(work.resolve("model/vlmscope.json")));

        DemoModel demo = new DemoModel(work.resolve("model"), work.resolve("image.png"));
        assertAnswer(out, "answer", demo.referenceAnswer(10, List.of()));
        Reference ref = Reference.of(demo.model());
        assertAnswer(out, "answer with the image ablated", demo.referenceAnswer(10, ref.ablation()));
        Matcher rows = DIFF_ROW.matcher(out);
        layer = 0;
        while (rows.find()) {
            assertEquals(layer, Integer.parseInt(rows.group(1)), out);
            float[] clean = ref.clean().get(layer);
            float[] ablated = ref.ablated().get(layer);
            assertEquals(RunCommandTest.relativeL2(clean, ablated), Double.parseDouble(rows.group(2)),
                    1e-3 * Double.parseDouble(rows.group(2)), "rel_l2 of layer " + layer);
            assertEquals(cosine(clean, ablated), Double.parseDouble(rows.group(3)), 2e-6, "cosine of layer " + layer);
            layer++;
        }
        assertEquals(4, layer, out);

        // A rerun replaces the work directory: files from before are gone.
        Files.writeString(work.resolve("leftover.txt"), "x");
        Cli.ok("demo", "--work", work.toString(), "--device", "cpu");
        assertFalse(Files.exists(work.resolve("leftover.txt")));
    }

    /** The greedy line of the demo: its ids and text are the runtime's on the demo's own ids and pixel values. */
    private static void assertAnswer(String out, String label, DemoModel.Answer want) {
        Matcher m = Pattern.compile("(?m)^== " + Pattern.quote(label) + " \\(greedy with the KV cache, (\\d+) "
                + "tokens: ([\\d ]+); [0-9.]+ s\\): (.*)$").matcher(out);
        assertTrue(m.find(), () -> label + " line missing:\n" + out);
        assertEquals(want.ids().length, Integer.parseInt(m.group(1)), out);
        assertEquals(want.idList(), m.group(2), out);
        assertEquals(org.vlmscope.runtime.text.PromptTemplate.quote(want.text()), m.group(3), out);
    }

    /**
     * The residual streams of the clean and the ablated demo prompt, computed here with the runtime on the demo's
     * constants; the ablation writes the mean of the prompt's visual embeddings at every visual position.
     */
    private record Reference(List<Intervention> ablation, List<float[]> clean, List<float[]> ablated) {
        static Reference of(Path model) {
            long[][] ids = {DemoCheckpoint.demoInputIds()};
            try (ModelSession session = ModelSession.open(model, Device.CPU, DemoCommand.HOOKS)) {
                Map<String, NamedTensor> clean = Forward.run(session, DemoModel.pixelValues(), ids);
                float[] embeddings = clean.get("blocks.0.hook_resid_pre").toFloatArray();
                int[] visual = IntStream.range(4, 580).toArray();
                float[] mean = new float[64];
                for (int i = 0; i < 64; i++) {
                    double sum = 0;
                    for (int p : visual) {
                        sum += embeddings[p * 64 + i];
                    }
                    mean[i] = (float) (sum / visual.length);
                }
                List<Intervention> ablation = List.of(new Intervention.Ablation(visual, mean));
                Map<String, NamedTensor> ablated = Forward.run(session, DemoModel.pixelValues(), ids, ablation, null);
                List<float[]> a = new ArrayList<>();
                List<float[]> b = new ArrayList<>();
                for (int layer = 0; layer < 4; layer++) {
                    a.add(clean.get("blocks." + layer + ".hook_resid_post").toFloatArray());
                    b.add(ablated.get("blocks." + layer + ".hook_resid_post").toFloatArray());
                }
                return new Reference(ablation, a, b);
            }
        }
    }

    private static double cosine(float[] a, float[] b) {
        double ab = 0;
        double aa = 0;
        double bb = 0;
        for (int i = 0; i < a.length; i++) {
            ab += (double) a[i] * b[i];
            aa += (double) a[i] * a[i];
            bb += (double) b[i] * b[i];
        }
        return ab / Math.sqrt(aa * bb);
    }

    @Test
    void refusesToReplaceADirectoryItDidNotMake() throws Exception {
        Path mine = Files.createDirectories(tmp.resolve("mine"));
        Files.writeString(mine.resolve("notes.txt"), "keep me");
        Cli.failsWith(Cli.run("demo", "--work", mine.toString()), mine.toString(), "--work");
        assertEquals("keep me", Files.readString(mine.resolve("notes.txt")));
    }
}
