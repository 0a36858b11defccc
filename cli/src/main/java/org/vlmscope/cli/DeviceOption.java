package org.vlmscope.cli;

import org.vlmscope.core.VlmscopeException;
import org.vlmscope.runtime.session.Device;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.Option;
import picocli.CommandLine.TypeConversionException;

/** The {@code --device} option of the commands that run a model. */
final class DeviceOption {
    @Option(names = "--device", paramLabel = "auto|cpu|cuda", defaultValue = "auto", converter = Converter.class,
            description = "Where ONNX Runtime runs: cuda, cpu, or auto (CUDA when its provider loads; "
                    + "default: ${DEFAULT-VALUE}).")
    Device device;

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
