package org.vlmscope.cli;

import java.nio.file.Path;
import java.util.concurrent.Callable;
import org.vlmscope.core.BadArgumentException;
import org.vlmscope.experiments.run.AblationRunner;
import org.vlmscope.experiments.run.AblationSets;
import org.vlmscope.experiments.run.AblationTask;
import org.vlmscope.experiments.run.ExperimentModel;
import org.vlmscope.experiments.run.RunContext;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code vlmscope ablation}: Table 1's records. */
@Command(name = "ablation", mixinStandardHelpOptions = true,
        description = "Replace visual tokens by the mean vector (object cells and buffers, register tokens, random "
                + "and integrated-gradients sets) and record, per image, task and set, whether the answer stays "
                + "correct; with the hallucination filter, one filter record per image. Resumable, shardable.")
final class AblationCommand implements Callable<Integer> {
    @Option(names = "--dataset", required = true, paramLabel = "DATASET.jsonl",
            description = "Written by 'vlmscope dataset coco --preset ablation --model MODEL_DIR'.")
    Path dataset;

    @Option(names = "--mean", required = true, paramLabel = "MEAN.safetensors",
            description = "The mean visual token ('vlmscope mean'), or FILE:TENSOR, or a .pt vector.")
    Path mean;

    @Option(names = "--vqa", paramLabel = "VQA.jsonl",
            description = "Curated questions ('vlmscope dataset vqa'); the vqa task runs on the images they ask about.")
    Path vqa;

    @Option(names = "--tasks", paramLabel = "LIST", description = "generative,polling,vqa (default: all; vqa needs "
            + "--vqa).")
    String tasks;

    @Option(names = "--sets", paramLabel = "LIST", description = "object,object+1,object+2,register,random-N,ig-N "
            + "(default: all 18 of the paper, N in 5,10,20,40,60,100,250).")
    String sets;

    @Option(names = "--filter", defaultValue = "hallucination", paramLabel = "hallucination|none",
            description = "Record the hallucination filter per image (default: ${DEFAULT-VALUE}).")
    String filter;

    @Option(names = "--max-new-tokens", defaultValue = "200", paramLabel = "N",
            description = "Generative answers' length limit (default: ${DEFAULT-VALUE}).")
    int maxNewTokens;

    @Option(names = "--batch", defaultValue = "10", paramLabel = "B",
            description = "Rows per decoder call: integrated-gradients path points, or the ablation sets of one "
                    + "prompt decoded together; changes speed and memory, and the logits only by float rounding "
                    + "(default: ${DEFAULT-VALUE}).")
    int batch;

    @Mixin
    ExperimentOptions options;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        if (!filter.equals("hallucination") && !filter.equals("none")) {
            throw new BadArgumentException("--filter " + filter + ": expected hallucination or none");
        }
        var taskList = AblationTask.parse(tasks);
        if (taskList.contains(AblationTask.VQA) && vqa == null && tasks != null) {
            throw new BadArgumentException("--tasks vqa needs --vqa VQA.jsonl (the curated questions)");
        }
        if (vqa == null) {
            taskList = taskList.stream().filter(t -> t != AblationTask.VQA).toList();
        }
        var settings = new AblationRunner.Settings(taskList, AblationSets.parse(sets), filter.equals("hallucination"),
                maxNewTokens, batch);
        RunContext context = options.context(spec.commandLine().getErr());
        try (ExperimentModel m = options.open()) {
            RunContext.Summary s = AblationRunner.run(m, new AblationRunner.Inputs(dataset, options.images, mean, vqa),
                    settings, context);
            ExperimentOptions.print(spec.commandLine().getOut(), "ablation", "images", s, options.results);
            options.runtime.announce(spec, m.session());
        }
        return 0;
    }
}
