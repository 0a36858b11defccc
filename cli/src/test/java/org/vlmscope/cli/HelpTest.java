package org.vlmscope.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import picocli.CommandLine;
import picocli.CommandLine.Model.OptionSpec;

/**
 * {@code --help} of every verb and sub-verb, found by walking the command tree (so a new verb is covered without
 * being listed here): exit 0, the usage line naming the verb, and every option the verb declares.
 */
class HelpTest {
    static Stream<List<String>> verbs() {
        List<List<String>> out = new ArrayList<>();
        collect(Main.commandLine(), new ArrayList<>(), out);
        return out.stream();
    }

    private static void collect(CommandLine cl, List<String> path, List<List<String>> out) {
        cl.getSubcommands().forEach((name, sub) -> {
            List<String> p = new ArrayList<>(path);
            p.add(name);
            out.add(p);
            collect(sub, p, out);
        });
    }

    @ParameterizedTest
    @MethodSource("verbs")
    void everyVerbHasHelpListingItsOptions(List<String> verb) {
        List<String> args = new ArrayList<>(verb);
        args.add("--help");
        Cli.Result r = Cli.run(args.toArray(String[]::new));
        assertEquals(0, r.code(), r::toString);
        assertTrue(r.out().contains("Usage: vlmscope " + String.join(" ", verb)), r::toString);
        CommandLine cl = Main.commandLine();
        for (String name : verb) {
            cl = cl.getSubcommands().get(name);
        }
        for (OptionSpec o : cl.getCommandSpec().options()) {
            assertTrue(r.out().contains(o.longestName()), () -> "help does not show " + o.longestName() + ":\n" + r);
        }
    }

    /** The README (one directory up from this module) names every verb with each of its options. */
    @ParameterizedTest
    @MethodSource("verbs")
    void theReadmeDocumentsEveryVerbAndOption(List<String> verb) throws IOException {
        String readme = Files.readString(Path.of("..", "README.md"));
        assertTrue(readme.contains("vlmscope " + String.join(" ", verb)), "README lacks 'vlmscope "
                + String.join(" ", verb) + "'");
        CommandLine cl = Main.commandLine();
        for (String name : verb) {
            cl = cl.getSubcommands().get(name);
        }
        for (OptionSpec o : cl.getCommandSpec().options()) {
            assertTrue(readme.contains(o.longestName()), "README lacks " + o.longestName() + " of "
                    + String.join(" ", verb));
        }
    }

    @ParameterizedTest
    @MethodSource("verbs")
    void theVerbsThatRunAModelTakeTheRuntimeOptions(List<String> verb) {
        CommandLine cl = Main.commandLine();
        for (String name : verb) {
            cl = cl.getSubcommands().get(name);
        }
        var spec = cl.getCommandSpec();
        if (spec.findOption("--device") != null) {
            for (String option : List.of("--threads", "--quiet")) {
                assertTrue(spec.findOption(option) != null, String.join(" ", verb) + " lacks " + option);
            }
        }
    }
}
