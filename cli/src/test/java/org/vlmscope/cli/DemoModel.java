package org.vlmscope.cli;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.stream.Collectors;
import org.vlmscope.core.SafetensorsWriter.NamedTensor;
import org.vlmscope.models.DemoCheckpoint;
import org.vlmscope.runtime.session.Device;
import org.vlmscope.runtime.run.Greedy;
import org.vlmscope.runtime.intervene.Intervention;
import org.vlmscope.runtime.session.ModelSession;
import org.vlmscope.runtime.text.Tokenizer;

/**
 * The shipped demo model exported by the CLI, with its picture as a PNG: a model with a tokenizer, so prompts can
 * be text. Its references come from the demo's constants ({@link DemoCheckpoint#demoInputIds()},
 * {@link DemoCheckpoint#demoPixelValues()}), not from the text and image paths under test.
 */
record DemoModel(Path model, Path image) {

    /** Greedy new tokens and their decoding with special tokens skipped. */
    record Answer(long[] ids, String text) {
        String idList() {
            return Arrays.stream(ids).mapToObj(Long::toString).collect(Collectors.joining(" "));
        }
    }

    static DemoModel write(Path dir) {
        Path checkpoint = dir.resolve("checkpoint");
        DemoCheckpoint.write(checkpoint);
        Path model = dir.resolve("model");
        Cli.ok("export", checkpoint.toString(), "-o", model.toString());
        Path image = dir.resolve("demo.png");
        DemoCheckpoint.writeDemoImage(image);
        return new DemoModel(model, image);
    }

    static NamedTensor pixelValues() {
        int n = DemoCheckpoint.IMAGE_SIZE;
        return NamedTensor.ofFloats("pixel_values", new long[] {1, 3, n, n}, DemoCheckpoint.demoPixelValues());
    }

    /** The runtime's own greedy answer to {@link DemoCheckpoint#DEMO_PROMPT} on the demo picture. */
    Answer referenceAnswer(int newTokens, List<Intervention> interventions) {
        try (ModelSession session = ModelSession.open(model, Device.CPU, List.of());
             Tokenizer tokenizer = Tokenizer.load(model)) {
            long[] ids = Greedy.run(session, pixelValues(), new long[][] {DemoCheckpoint.demoInputIds()}, newTokens,
                    new HashSet<>(session.manifest().eosTokenIds()), interventions).tokens()[0];
            return new Answer(ids, tokenizer.decode(ids, true));
        }
    }
}
