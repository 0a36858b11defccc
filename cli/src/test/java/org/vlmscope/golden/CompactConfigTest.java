package org.vlmscope.golden;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import java.util.stream.Stream;
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
            Path compactCheckpoint = tmp.resolve("compact-checkpoint");
            Files.createDirectories(compactCheckpoint);
            try (Stream<Path> files = Files.list(f.checkpoint())) {
                for (Path file : files.toList()) {
                    Files.copy(file, compactCheckpoint.resolve(file.getFileName()));
                }
            }
            Path compactConfig = f.dir.resolve("../../compact-configs/" + fixtureName + ".json").normalize();
            Files.copy(compactConfig, compactCheckpoint.resolve("config.json"), StandardCopyOption.REPLACE_EXISTING);

            Path full = Exporter.export(f.checkpoint(), tmp.resolve("full"), ExportOptions.parse("fp32")).modelDir();
            Path compact = Exporter.export(compactCheckpoint, tmp.resolve("compact"), ExportOptions.parse("fp32")).modelDir();
            for (String file : List.of("vision.onnx", "vision.onnx.data", "embed.onnx", "embed.onnx.data",
                    "decoder.onnx", "decoder.onnx.data")) {
                assertArrayEquals(Files.readAllBytes(full.resolve(file)), Files.readAllBytes(compact.resolve(file)), file);
            }
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
