package org.vlmscope.bench;

import java.nio.file.Files;
import java.nio.file.Path;
import org.vlmscope.core.Directories;
import org.vlmscope.core.SafetensorsWriter.NamedTensor;
import org.vlmscope.core.vocab.GraphNames;
import org.vlmscope.exporter.ExportOptions;
import org.vlmscope.exporter.Exporter;
import org.vlmscope.models.DemoCheckpoint;

/** The demo checkpoint exported (fp32) into a temporary directory for the span of one benchmark. */
public final class DemoModel {
    /** What a benchmark runs on: the exported model, the demo image's pixels and the demo prompt's ids. */
    public interface Body {
        void run(Path model, NamedTensor pixels, long[] ids) throws Exception;
    }

    private DemoModel() {
    }

    public static void with(String name, Body body) throws Exception {
        Path dir = Files.createTempDirectory(name);
        try {
            DemoCheckpoint.write(dir.resolve("checkpoint"));
            Path model = Exporter.export(dir.resolve("checkpoint"), dir.resolve("model"), ExportOptions.parse("fp32")).modelDir();
            NamedTensor pixels = NamedTensor.ofFloats(GraphNames.PIXEL_VALUES, new long[] {1, 3, DemoCheckpoint.IMAGE_SIZE,
                    DemoCheckpoint.IMAGE_SIZE}, DemoCheckpoint.demoPixelValues());
            body.run(model, pixels, DemoCheckpoint.demoInputIds());
        } finally {
            Directories.deleteRecursively(dir);
        }
    }
}
