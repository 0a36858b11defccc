package org.vlmscope.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.OptionalInt;
import org.junit.jupiter.api.Test;
import org.vlmscope.core.BadArgumentException;
import org.vlmscope.experiments.records.Shard;
import org.vlmscope.experiments.records.WorkSelection;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

class WorkSelectionOptionsTest {
    @Command(name = "x")
    static final class Verb {
        @Mixin
        WorkSelectionOptions selection;
    }

    private static WorkSelection parse(String... args) {
        Verb verb = new Verb();
        new CommandLine(verb).parseArgs(args);
        return verb.selection.selection();
    }

    @Test
    void shardAndLimitMakeTheSelection() {
        assertEquals(WorkSelection.ALL, parse());
        assertEquals(new WorkSelection(new Shard(1, 4), OptionalInt.of(100)), parse("--shard", "1/4", "--limit", "100"));
        assertThrows(BadArgumentException.class, () -> parse("--shard", "4/4"));
        assertThrows(BadArgumentException.class, () -> parse("--limit", "-1"));
    }
}
