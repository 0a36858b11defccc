package org.vlmscope.models;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.util.DefaultIndenter;
import com.fasterxml.jackson.core.util.DefaultPrettyPrinter;
import com.fasterxml.jackson.core.util.Separators;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Map;
import org.vlmscope.core.TempFiles;
import org.vlmscope.core.VlmscopeException;

/**
 * Writes JSON files laid out as transformers writes them ({@code json.dumps(indent=2, sort_keys=True)} plus a
 * final newline). The line separator is always {@code \n}, never the platform's, so a generated checkpoint has
 * the same bytes on every machine.
 */
final class HfJson {
    private static final DefaultIndenter INDENT = new DefaultIndenter("  ", "\n");
    private static final ObjectMapper JSON = new ObjectMapper()
            .enable(SerializationFeature.ORDER_MAP_ENTRIES_BY_KEYS)
            .setDefaultPrettyPrinter(new DefaultPrettyPrinter()
                    .withSeparators(Separators.createDefaultInstance()
                            .withObjectFieldValueSpacing(Separators.Spacing.AFTER))
                    .withObjectIndenter(INDENT)
                    .withArrayIndenter(INDENT));

    private HfJson() {
    }

    static void write(Path file, Map<String, ?> content) {
        String text;
        try {
            text = JSON.writerWithDefaultPrettyPrinter().writeValueAsString(content);
        } catch (JsonProcessingException e) {
            throw new VlmscopeException(file + ": cannot encode JSON: " + e.getOriginalMessage(), e);
        }
        try {
            TempFiles.replace(file, (text + "\n").getBytes(StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new VlmscopeException("cannot write " + file + ": " + e.getMessage(), e);
        }
    }
}
