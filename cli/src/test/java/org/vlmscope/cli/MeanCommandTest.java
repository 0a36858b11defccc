package org.vlmscope.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.vlmscope.core.SafetensorsWriter.NamedTensor;
import org.vlmscope.core.VectorFile;
import org.vlmscope.models.DemoCheckpoint;
import org.vlmscope.runtime.session.Device;
import org.vlmscope.runtime.run.Forward;
import org.vlmscope.runtime.session.ModelSession;
import org.vlmscope.runtime.image.ClipImageProcessor;
import org.vlmscope.runtime.image.ImageDecoder;

/**
 * {@code vlmscope mean} on the demo model over the generated COCO fixture's images (a JPEG and PNGs in a folder
 * tree, plus a file that is not an image), checked against the projector output the runtime's forward pass exposes
 * as {@code projector.hook_out}, one image at a time, averaged here in double precision.
 */
class MeanCommandTest {
    @TempDir
    static Path shared;
    static DemoModel demo;

    @TempDir
    Path dir;

    @BeforeAll
    static void exportDemo() {
        demo = DemoModel.write(shared);
    }

    @Test
    void meanOfTheFixtureImagesMatchesTheForwardPassAndLoadsForAblation() throws IOException {
        CocoFixture fixture = CocoFixture.write(dir.resolve("coco"));
        Path nested = Files.createDirectories(fixture.images().resolve("more"));
        Files.move(fixture.images().resolve("000000000003.png"), nested.resolve("000000000003.png"));
        Path mean = dir.resolve("mean.safetensors");
        Cli.Result r = Cli.ok("mean", demo.model().toString(), "--images", fixture.images().toString(), "-o",
                mean.toString(), "--batch", "2", "--device", "cpu");
        assertTrue(r.out().contains("from 3 images"), r.toString());
        assertTrue(r.out().contains("skipped " + fixture.images().resolve("000000000005.jpg")), r.toString());

        List<Path> decodable = List.of(fixture.images().resolve("000000000001.jpg"),
                fixture.images().resolve("000000000002.png"), nested.resolve("000000000003.png"));
        double[] sum = null;
        long tokens = 0;
        ClipImageProcessor processor = ClipImageProcessor.fromConfig(demo.model().resolve("preprocessor_config.json"));
        try (ModelSession session = ModelSession.open(demo.model(), Device.CPU, List.of("projector.hook_out"))) {
            for (Path image : decodable) {
                Map<String, NamedTensor> out = Forward.run(session, processor.pixelValues(ImageDecoder.read(image)),
                        new long[][] {DemoCheckpoint.demoInputIds()});
                NamedTensor features = out.get("projector.hook_out");
                float[] values = features.toFloatArray();
                int d = (int) features.shape()[2];
                sum = sum == null ? new double[d] : sum;
                for (int i = 0; i < values.length; i++) {
                    sum[i % d] += values[i];
                }
                tokens += values.length / d;
            }
        }
        float[] written = VectorFile.read(mean.toString());
        assertEquals(sum.length, written.length);
        for (int i = 0; i < sum.length; i++) {
            double want = sum[i] / tokens;
            assertEquals(want, written[i], 1e-5 * Math.max(1, Math.abs(want)), "value " + i);
        }

        Cli.Result ablated = Cli.ok("run", demo.model().toString(), "--image", demo.image().toString(), "--prompt",
                "What is in this image?", "--max-new-tokens", "1", "--ablate", "4-20", "--ablate-with",
                mean.toString(), "--device", "cpu");
        assertFalse(ablated.out().isEmpty(), ablated.toString());
    }

    @Test
    void datasetTakesItsGridFromTheModel() throws IOException {
        CocoFixture fixture = CocoFixture.write(dir.resolve("coco"));
        Path dataset = dir.resolve("dataset.jsonl");
        Cli.Result r = Cli.ok("dataset", "coco", "--annotations", fixture.instances().toString(), "-o",
                dataset.toString(), "--model", demo.model().toString());
        int grid = org.vlmscope.core.ModelManifest.read(demo.model()).dims().gridSize();
        assertTrue(r.out().contains("grid " + grid + "x" + grid), r.toString());
        assertTrue(Files.readAllLines(dataset).get(0).contains("\"grid\":" + grid + ","), r.toString());
        Cli.failsWith(Cli.run("dataset", "coco", "--annotations", fixture.instances().toString(), "-o",
                dataset.toString(), "--model", dir.toString()), dir.toString(), "not a vlmscope model directory");
    }

    @Test
    void folderWithoutImagesIsOneLine() throws IOException {
        Path empty = Files.createDirectories(dir.resolve("empty"));
        Files.writeString(empty.resolve("notes.txt"), "no pictures here");
        Path mean = dir.resolve("mean.safetensors");
        Cli.failsWith(Cli.run("mean", demo.model().toString(), "--images", empty.toString(), "-o", mean.toString()),
                empty.toString(), "no .jpg, .jpeg or .png");
        assertFalse(Files.exists(mean));
    }
}
