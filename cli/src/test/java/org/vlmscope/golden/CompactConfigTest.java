package org.vlmscope.golden;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.vlmscope.core.SafetensorsWriter.NamedTensor;
import org.vlmscope.exporter.ExportOptions;
import org.vlmscope.exporter.Exporter;
import org.vlmscope.runtime.session.Device;
import org.vlmscope.runtime.run.Forward;
import org.vlmscope.runtime.session.ModelSession;

/** A checkpoint whose config.json is written the compact way exports to the same graphs and numbers as its full form. */
class CompactConfigTest {
    @TempDir
    Path tmp;

    @ParameterizedTest
    @ValueSource(strings = {"llava-tiny", "llava-phi3-dev"})
    void compactConfigExportsLikeFullConfig(String fixtureName) throws IOException {
        try (GoldenFixture f = GoldenFixture.load(fixtureName)) {
            Path compactConfig = f.dir.resolve("../../compact-configs/" + fixtureName + ".json").normalize();
            Path compactCheckpoint = CheckpointCopies.withConfig(f.checkpoint(), tmp.resolve("compact-checkpoint"),
                    compactConfig);

            Path full = Exporter.export(f.checkpoint(), tmp.resolve("full"), ExportOptions.parse("fp32")).modelDir();
            Path compact = Exporter.export(compactCheckpoint, tmp.resolve("compact"), ExportOptions.parse("fp32")).modelDir();
            CheckpointCopies.assertSameGraphs(full, compact);
            assertEquals(read(full).dims(), read(compact).dims());

            NamedTensor px = NamedTensor.ofFloats("pixel_values", new long[] {1, 3, 336, 336}, f.floats("pixel_values"));
            try (ModelSession s = ModelSession.open(compact, Device.CPU, List.of())) {
                float[] logits = Forward.run(s, px, new long[][] {f.inputIds()}).get("logits").toFloatArray();
                Compare.allClose("logits (compact config)", f.floats("logits"), logits, f.atol("logits"), f.rtol("logits"));
            }
        }
    }

    private static org.vlmscope.core.ModelManifest read(Path dir) {
        return org.vlmscope.core.ModelManifest.read(dir);
    }
}
