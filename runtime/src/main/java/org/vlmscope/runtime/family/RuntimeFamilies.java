package org.vlmscope.runtime.family;

import java.util.List;
import org.vlmscope.core.ModelManifest;
import org.vlmscope.core.VlmscopeException;

/** The families the runtime can run, chosen by the manifest's {@code family}. */
public final class RuntimeFamilies {
    private static final List<RuntimeFamily> ALL = List.of(new LlavaRuntime(), new Qwen2VlRuntime());

    private RuntimeFamilies() {
    }

    public static RuntimeFamily of(ModelManifest manifest) {
        for (RuntimeFamily f : ALL) {
            if (f.id().equals(manifest.family())) {
                return f;
            }
        }
        throw new VlmscopeException("vlmscope.json names the model family '" + manifest.family() + "'; this vlmscope "
                + "runs " + ALL.stream().map(RuntimeFamily::id).toList());
    }
}
