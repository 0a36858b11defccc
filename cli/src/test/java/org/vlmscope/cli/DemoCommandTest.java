package org.vlmscope.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DemoCommandTest {
    private static final Pattern LAYER_ROW = Pattern.compile(
            "(?m)^\\s+(\\d)\\s+(\\d+\\.\\d{4})\\s+(\\d+\\.\\d{4})\\s+(-?\\d\\.\\d{4})$");

    @TempDir
    Path tmp;

    @Test
    void runsEndToEndWithARowPerLayer() throws Exception {
        Path work = tmp.resolve("work");
        Cli.Result r = Cli.ok("demo", "--work", work.toString(), "--device", "cpu");
        String out = r.out();
        assertTrue(out.contains("blocks.{0..3}.hook_resid_post"), r::toString);
        Matcher m = LAYER_ROW.matcher(out);
        int layer = 0;
        while (m.find()) {
            assertEquals(layer++, Integer.parseInt(m.group(1)), out);
            double cos = Double.parseDouble(m.group(4));
            assertTrue(cos >= -1 && cos <= 1, out);
        }
        assertEquals(4, layer, out);
        assertTrue(out.matches("(?s).*top-5 next tokens at the final position \\(id \\(logit\\)\\): "
                + "(\\d+ \\(-?\\d+\\.\\d+\\)\\s*){5}.*"), out);
        assertTrue(out.matches("(?s).*greedy continuation with the KV cache \\((\\d+) tokens, [0-9.]+ s\\): [\\d ]+\n.*"),
                out);
        assertTrue(Files.exists(work.resolve("model/vlmscope.json")));

        // A rerun replaces the work directory: files from before are gone.
        Files.writeString(work.resolve("leftover.txt"), "x");
        Cli.ok("demo", "--work", work.toString(), "--device", "cpu");
        assertFalse(Files.exists(work.resolve("leftover.txt")));
    }

    @Test
    void refusesToReplaceADirectoryItDidNotMake() throws Exception {
        Path mine = Files.createDirectories(tmp.resolve("mine"));
        Files.writeString(mine.resolve("notes.txt"), "keep me");
        Cli.failsWith(Cli.run("demo", "--work", mine.toString()), mine.toString(), "--work");
        assertEquals("keep me", Files.readString(mine.resolve("notes.txt")));
    }
}
