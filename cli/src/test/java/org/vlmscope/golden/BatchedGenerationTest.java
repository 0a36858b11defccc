package org.vlmscope.golden;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.vlmscope.core.SafetensorsWriter.NamedTensor;
import org.vlmscope.exporter.ExportOptions;
import org.vlmscope.exporter.Exporter;
import org.vlmscope.runtime.session.Device;
import org.vlmscope.runtime.run.Greedy;
import org.vlmscope.runtime.session.ModelSession;

/**
 * Greedy decoding of the golden prompt inside a left-padded batch of three prompts of different lengths gives
 * Hugging Face's ids and step logits, and each shorter prompt decodes in the batch as it does alone.
 */
class BatchedGenerationTest {
    @TempDir
    Path tmp;

    @Test
    void goldenPromptInsideABatchOfThree() {
        try (GoldenFixture f = GoldenFixture.load("llava-tiny")) {
            Path model = Exporter.export(f.checkpoint(), tmp.resolve("model"), ExportOptions.parse("fp32")).modelDir();
            long[] golden = f.inputIds();
            // Shorter prompts: the golden one without its last 3 and last 7 text tokens.
            long[][] rows = {Arrays.copyOf(golden, golden.length - 3), golden, Arrays.copyOf(golden, golden.length - 7)};
            float[] image = f.floats("pixel_values");
            float[] three = new float[image.length * 3];
            for (int b = 0; b < 3; b++) {
                System.arraycopy(image, 0, three, b * image.length, image.length);
            }
            NamedTensor pixels = NamedTensor.ofFloats("pixel_values", new long[] {3, 3, 336, 336}, three);
            NamedTensor onePixel = InterventionsGoldenTest.pixels(f);
            int steps = 10;
            try (ModelSession s = ModelSession.open(model, Device.CPU, List.of())) {
                Greedy.Generation batch = Greedy.run(s, pixels, rows, steps, Set.of());
                assertArrayEquals(f.longs("generate.ids"), batch.tokens()[1], "golden prompt in the batch");
                float[] expected = f.floats("generate.step_logits");
                int vocab = s.manifest().dims().vocab();
                for (int k = 0; k < steps; k++) {
                    Compare.allClose("batched step " + k, Compare.rows(expected, k, k + 1, vocab), batch.stepLogits()[1][k],
                            f.atol("logits"), f.rtol("logits"));
                }
                for (int b : new int[] {0, 2}) {
                    Greedy.Generation alone = Greedy.run(s, onePixel, new long[][] {rows[b]}, steps, Set.of());
                    assertArrayEquals(alone.tokens()[0], batch.tokens()[b], "row " + b + " alone and in the batch");
                    for (int k = 0; k < steps; k++) {
                        Compare.allClose("row " + b + " step " + k, alone.stepLogits()[0][k], batch.stepLogits()[b][k],
                                f.atol("logits"), f.rtol("logits"));
                    }
                }
            }
        }
    }
}
