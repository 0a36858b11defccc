package org.vlmscope.cli;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import java.util.concurrent.Callable;
import org.vlmscope.core.BadArgumentException;
import org.vlmscope.core.DType;
import org.vlmscope.models.RandomCheckpoint;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code vlmscope bench shape}: a random checkpoint of one of the benchmark shapes, to export and measure. */
@Command(name = "shape", mixinStandardHelpOptions = true,
        description = "Write a random LLaVA checkpoint (BF16) of a benchmark shape: small or medium (vocab 32064, "
                + "576 visual tokens). Export it, then run 'bench primitives' on it.")
final class BenchShapeCommand implements Callable<Integer> {
    /** The tokenizer files a Hugging Face LLaVA checkpoint carries beside its weights. */
    private static final List<String> TOKENIZER_FILES = List.of("tokenizer.json", "tokenizer_config.json",
            "special_tokens_map.json", "added_tokens.json", "tokenizer.model");

    @Parameters(index = "0", paramLabel = "SHAPE", description = "small or medium.")
    String shape;

    @Option(names = {"-o", "--output"}, required = true, paramLabel = "CHECKPOINT_DIR", description = "Where to write it.")
    Path output;

    @Option(names = "--tokenizer-from", paramLabel = "DIR",
            description = "Copy the tokenizer files of this checkpoint (e.g. llava-1.5-7b-hf's) beside the weights.")
    Path tokenizerFrom;

    @Override
    public Integer call() throws Exception {
        if (!RandomCheckpoint.shapeNames().contains(shape)) {
            throw new BadArgumentException("unknown shape '" + shape + "'; expected one of " + RandomCheckpoint.shapeNames());
        }
        if (tokenizerFrom != null && !Files.isRegularFile(tokenizerFrom.resolve("tokenizer.json"))) {
            throw new BadArgumentException("--tokenizer-from " + tokenizerFrom + " holds no tokenizer.json");
        }
        long bytes = RandomCheckpoint.writeNamed(output, shape, DType.BF16);
        if (tokenizerFrom != null) {
            for (String name : TOKENIZER_FILES) {
                if (Files.isRegularFile(tokenizerFrom.resolve(name))) {
                    Files.copy(tokenizerFrom.resolve(name), output.resolve(name), StandardCopyOption.REPLACE_EXISTING);
                }
            }
        }
        System.out.println("wrote the " + shape + " checkpoint to " + output + " (" + Units.bytes(bytes) + " of BF16 weights)");
        return 0;
    }
}
