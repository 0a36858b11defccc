package org.vlmscope.cli;

import java.io.PrintWriter;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.vlmscope.core.BadArgumentException;
import org.vlmscope.core.SafetensorsFile;
import org.vlmscope.core.SafetensorsWriter;
import org.vlmscope.core.SafetensorsWriter.NamedTensor;
import org.vlmscope.core.TensorInfo;
import org.vlmscope.core.vocab.MetadataKeys;
import org.vlmscope.graph.locate.Location;
import org.vlmscope.runtime.intervene.Intervention;
import org.vlmscope.runtime.intervene.LensRequest;
import org.vlmscope.runtime.run.OnnxFileRun;

/**
 * {@code vlmscope run FILE.onnx}: any single ONNX file on the tensors of an inputs file, named as the graph's
 * inputs. Hooks, interventions and the lens apply where the graph has hooks (its own, or located by structure);
 * every output and every requested hook goes to the cache by name.
 */
final class OnnxFileRunner {
    private OnnxFileRunner() {
    }

    static boolean isOnnxFile(Path path) {
        return java.nio.file.Files.isRegularFile(path) && path.getFileName().toString().endsWith(".onnx");
    }

    static int run(RunCommand c) {
        PromptInput in = c.input;
        if (!in.images.isEmpty() || in.prompt != null || in.rawPrompt != null) {
            throw new BadArgumentException("a single .onnx file runs on --inputs IN.safetensors (tensors named as its "
                    + "inputs); --image and prompts need a model directory");
        }
        if (in.inputs == null) {
            throw new BadArgumentException("run " + c.modelDir.getFileName() + " needs --inputs IN.safetensors "
                    + "holding the graph's inputs by name");
        }
        if (c.maxNewTokens != null) {
            throw new BadArgumentException("--max-new-tokens needs a model directory: a single graph has no "
                    + "tokenizer or KV-cache loop");
        }
        c.interventions.check();
        PrintWriter out = c.spec.commandLine().getOut();
        OnnxFileRun graph = OnnxFileRun.load(c.modelDir);
        out.println(describe(c.modelDir, graph));
        Map<String, NamedTensor> inputs = readInputs(in.inputs);
        List<Intervention> planned = c.interventions.resolve(graph.layers(), graph::rowWidth,
                OnnxFileRun.sequenceLength(inputs));
        if (!planned.isEmpty()) {
            out.println("interventions: " + String.join("; ", planned.stream().map(Intervention::toString).toList()));
        }
        LensRequest lens = c.lens.request();
        OnnxFileRun.Result r = graph.run(inputs, new OnnxFileRun.Request(c.hooks, planned, lens), c.runtime.device,
                c.runtime.threads.value());
        List<HookNames.Group> groups = HookNames.collapse(List.copyOf(r.outputs().values()), NamedTensor::name,
                t -> t.dtype() + " " + Arrays.toString(t.shape()));
        int width = groups.stream().mapToInt(g -> g.name().length()).max().orElse(0);
        out.printf("outputs (%d):%n", r.outputs().size());
        for (HookNames.Group g : groups) {
            out.printf("  %-" + width + "s  %s%n", g.name(), g.label());
        }
        if (c.cache != null) {
            Map<String, String> meta = new LinkedHashMap<>();
            meta.put(MetadataKeys.VERSION, Main.VERSION);
            meta.put("onnx_file", c.modelDir.toAbsolutePath().normalize().toString());
            meta.put("inputs", in.inputs.toAbsolutePath().normalize().toString());
            meta.put("hooks", String.join(",", r.exposed()));
            meta.put("provider", r.provider());
            meta.putAll(c.interventions.describe());
            if (lens != null) {
                meta.put("lens_k", Integer.toString(lens.k()));
            }
            List<NamedTensor> tensors = new ArrayList<>(r.outputs().values());
            SafetensorsWriter.writeAll(c.cache, meta, tensors);
            out.printf(Locale.ROOT, "cache %s: %d tensors%n", c.cache, tensors.size());
        }
        out.flush();
        return 0;
    }

    /** One line on where the graph's hooks come from. */
    static String describe(Path file, OnnxFileRun graph) {
        Location located = graph.location();
        if (located != null) {
            return file.getFileName() + ": hooks located by structure: " + located.layers() + " layers"
                    + (located.dModel() == null ? "" : ", d_model " + located.dModel()) + ", " + graph.hooks().size()
                    + " hooks (see 'vlmscope inspect " + file.getFileName() + "')";
        }
        if (graph.notLocated() != null) {
            return file.getFileName() + ": no hooks; plain outputs only (" + graph.notLocated() + ")";
        }
        return file.getFileName() + ": " + graph.hooks().size() + " hooks of its own";
    }

    /** Every tensor of an inputs file, copied to the heap. */
    static Map<String, NamedTensor> readInputs(Path file) {
        Map<String, NamedTensor> inputs = new LinkedHashMap<>();
        try (SafetensorsFile f = SafetensorsFile.open(file)) {
            for (TensorInfo info : f.tensors()) {
                ByteBuffer src = f.data(info.name());
                ByteBuffer copy = ByteBuffer.allocate(src.remaining()).order(ByteOrder.LITTLE_ENDIAN);
                copy.put(src.duplicate()).flip();
                inputs.put(info.name(), new NamedTensor(info.name(), info.dtype(), info.shape(), copy));
            }
        }
        if (inputs.isEmpty()) {
            throw new BadArgumentException("--inputs " + file + " holds no tensors");
        }
        return inputs;
    }
}
