package org.vlmscope.exporter.config;

import java.util.List;
import org.vlmscope.core.VlmscopeException;

/** The names of Hugging Face's ACT2FN activations the exporter builds (LayerBuilder.activation). */
public final class HfActivations {
    public static final List<String> SUPPORTED = List.of("gelu", "gelu_new", "gelu_pytorch_tanh", "gelu_fast",
            "quick_gelu", "silu", "swish", "relu");

    private HfActivations() {
    }

    /** The activation {@code key} of {@code fields} names, or its default; an unsupported name is refused. */
    static String read(JsonFields fields, String key, String defaultValue) {
        String name = fields.stringOr(key, defaultValue);
        if (!SUPPORTED.contains(name)) {
            throw new VlmscopeException(fields.path(key) + " '" + name + "' is not an activation vlmscope exports; "
                    + "supported: " + String.join(", ", SUPPORTED));
        }
        return name;
    }
}
