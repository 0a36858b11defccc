package org.vlmscope.architecture;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * Rules over the sources of every module (read as text from the checkout): names that belong to the vocabulary in
 * {@code org.vlmscope.core.vocab} are spelled only there, and no module's main code imports a module above it.
 */
class SourceRulesTest {
    private static final Path ROOT = Path.of("..").toAbsolutePath().normalize();
    private static final String VOCABULARY = "core/src/main/java/org/vlmscope/core/vocab/";

    /** Module directory -> the modules its main code may import (itself included). */
    private static final Map<String, Set<String>> MAY_IMPORT = Map.of(
            "core", Set.of("core"),
            "graph-surgery", Set.of("graph-surgery", "core"),
            "models", Set.of("models", "core"),
            "exporter", Set.of("exporter", "models", "graph-surgery", "core"),
            "runtime", Set.of("runtime", "models", "graph-surgery", "core"),
            "experiments", Set.of("experiments", "runtime", "models", "graph-surgery", "core"),
            "bench", Set.of("bench", "experiments", "runtime", "exporter", "models", "graph-surgery", "core"),
            "cli", Set.of("cli", "bench", "experiments", "runtime", "exporter", "models", "graph-surgery", "core"));

    /** Top-level package under org.vlmscope -> its module directory. */
    private static final Map<String, String> MODULE_OF_PACKAGE = Map.of(
            "core", "core", "graph", "graph-surgery", "models", "models", "exporter", "exporter",
            "runtime", "runtime", "experiments", "experiments", "bench", "bench", "cli", "cli");

    /** What a vocabulary name looks like inside a string literal. */
    private static final List<Pattern> VOCABULARY_NAMES = List.of(
            Pattern.compile("hook_"),
            Pattern.compile("blocks\\\\?\\."),
            Pattern.compile("past_key_values"),
            Pattern.compile("present\\."),
            Pattern.compile("lens\\.(top|target)_"),
            Pattern.compile("^(input_ids|pixel_values|image_features|inputs_embeds|attention_mask|position_ids|logits)$"),
            Pattern.compile("^(ln_final\\.w|unembed|unembed\\.W)$"),
            Pattern.compile("^vlmscope\\.(graph|hooks|compute_type|layers|rms_norm_eps|surgery|version)$"));

    private static final Pattern LITERAL = Pattern.compile("\"((?:[^\"\\\\\\n]|\\\\.)*)\"");
    private static final Pattern COMMENT = Pattern.compile("//[^\\n]*|/\\*.*?\\*/", Pattern.DOTALL);
    private static final Pattern IMPORT = Pattern.compile("^import (?:static )?org\\.vlmscope\\.(\\w+)", Pattern.MULTILINE);

    @Test
    void noVocabularyNameIsSpelledOutsideTheVocabulary() {
        List<String> offences = new ArrayList<>();
        List<Path> files = mainSources();
        for (Path file : files) {
            if (!relative(file).startsWith(VOCABULARY)) {
                offences.addAll(vocabularyLiterals(file));
            }
        }
        assertTrue(files.size() > 100, "found only " + files.size() + " main source files under " + ROOT);
        assertEquals(List.of(), offences, "names to take from org.vlmscope.core.vocab");
    }

    @Test
    void theCheckFindsTheNamesTheVocabularyItselfSpells() {
        // The rule above can fail: the same scan finds the names where they are allowed.
        List<String> found = vocabularyLiterals(ROOT.resolve(VOCABULARY + "HookName.java"));
        assertTrue(found.stream().anyMatch(s -> s.contains("\"hook_embed\"")), found.toString());
        assertFalse(vocabularyLiterals(ROOT.resolve(VOCABULARY + "GraphNames.java")).isEmpty());
    }

    @Test
    void noModuleImportsAModuleAboveIt() {
        List<String> offences = new ArrayList<>();
        for (Path file : mainSources()) {
            String module = relative(file).substring(0, relative(file).indexOf('/'));
            Matcher m = IMPORT.matcher(read(file));
            while (m.find()) {
                String target = MODULE_OF_PACKAGE.get(m.group(1));
                if (target == null || !MAY_IMPORT.get(module).contains(target)) {
                    offences.add(relative(file) + " imports org.vlmscope." + m.group(1));
                }
            }
        }
        assertEquals(List.of(), offences);
    }

    @Test
    void everyModuleHasAReadmeSayingWhatItOwns() {
        for (String module : MAY_IMPORT.keySet()) {
            Path readme = ROOT.resolve(module).resolve("README.md");
            assertTrue(Files.isRegularFile(readme), "missing " + readme);
            String text = read(readme);
            assertTrue(text.contains("Owns") && text.contains("Must not know"), readme + " should say what the module "
                    + "owns and what it must not know");
        }
    }

    private static List<String> vocabularyLiterals(Path file) {
        String code = COMMENT.matcher(read(file)).replaceAll("");
        List<String> found = new ArrayList<>();
        Matcher m = LITERAL.matcher(code);
        while (m.find()) {
            String literal = m.group(1);
            if (VOCABULARY_NAMES.stream().anyMatch(p -> p.matcher(literal).find())) {
                found.add(relative(file) + ": \"" + literal + "\"");
            }
        }
        return found;
    }

    private static List<Path> mainSources() {
        List<Path> files = new ArrayList<>();
        for (String module : MAY_IMPORT.keySet()) {
            Path main = ROOT.resolve(module).resolve("src/main/java");
            if (!Files.isDirectory(main)) {
                continue;
            }
            try (Stream<Path> s = Files.walk(main)) {
                s.filter(p -> p.toString().endsWith(".java")).forEach(files::add);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        return files;
    }

    private static String relative(Path file) {
        return ROOT.relativize(file).toString().replace('\\', '/');
    }

    private static String read(Path file) {
        try {
            return Files.readString(file);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
