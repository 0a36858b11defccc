package org.vlmscope.cli;

import java.nio.file.Path;
import java.util.List;
import org.vlmscope.core.VlmscopeException;
import org.vlmscope.runtime.session.Device;
import org.vlmscope.runtime.session.ModelSession;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.TypeConversionException;

/** The options of every verb that runs a model: where ({@code --device}), how many threads, and how quietly. */
final class RuntimeOptions {
    @Option(names = "--device", paramLabel = "auto|cpu|cuda", defaultValue = "auto", converter = Converter.class,
            description = "Where ONNX Runtime runs: cuda, cpu, or auto (CUDA when its provider loads; "
                    + "default: ${DEFAULT-VALUE}).")
    Device device;

    @Mixin
    ThreadsOption threads;

    @Option(names = "--quiet",
            description = "Do not print the provider line (CPU or CUDA, and why) on stderr at the end of the run.")
    boolean quiet;

    /** Opens the model with these options; {@code hooks} are the globs every run returns. */
    ModelSession open(Path modelDir, List<String> hooks) {
        return ModelSession.open(modelDir, device, threads.value(), hooks);
    }

    /**
     * The provider line, once per run, on stderr unless --quiet. Printed when the run has finished, so that a
     * failing run still reports its error as the one line on stderr.
     */
    void announce(CommandSpec spec, ModelSession session) {
        if (!quiet) {
            spec.commandLine().getErr().println("vlmscope: " + session.providerLine());
        }
    }

    /** Makes a bad --device a usage error (exit 2) with the runtime's own wording. */
    static final class Converter implements ITypeConverter<Device> {
        @Override
        public Device convert(String value) {
            try {
                return Device.parse(value);
            } catch (VlmscopeException e) {
                throw new TypeConversionException(e.getMessage());
            }
        }
    }
}
