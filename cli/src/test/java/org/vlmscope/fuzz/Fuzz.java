package org.vlmscope.fuzz;

import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import java.lang.management.ManagementFactory;
import java.time.Duration;
import java.util.Random;
import org.opentest4j.AssertionFailedError;
import org.vlmscope.core.VlmscopeException;
import org.vlmscope.graph.GraphException;

/**
 * A seeded fuzzing loop with the contract every parser keeps: each case ends in success or in one of our own
 * exceptions ({@link VlmscopeException}, which {@code BadArgumentException} extends, or graph-surgery's
 * {@link GraphException}) whose message is one line naming
 * the input; never another exception type, never a hang, never more than a bounded allocation. A failure names the
 * parser, the case and its seed, so {@link #replay} reruns exactly that case.
 */
final class Fuzz {
    /** One case: build an input from {@code random} (deterministic for its seed) and parse it. */
    interface Case {
        void run(Random random) throws Exception;
    }

    /** What a parser may spend on one case. */
    record Limits(Duration time, long allocatedBytes) {
    }

    static final Limits DEFAULT_LIMITS = new Limits(Duration.ofSeconds(10), 256L << 20);

    private Fuzz() {
    }

    /**
     * Runs {@code count} cases from {@code seed}; {@code named} must appear in every error message (the file or
     * option at fault), or may be null.
     */
    static void run(String parser, long seed, int count, String named, Limits limits, Case body) {
        Random seeds = new Random(seed);
        for (int i = 0; i < count; i++) {
            replay(parser + " case " + i, seeds.nextLong(), named, limits, body);
        }
    }

    static void replay(String label, long caseSeed, String named, Limits limits, Case body) {
        String where = label + " (seed " + caseSeed + "L)";
        assertTimeoutPreemptively(limits.time(), () -> {
            long before = allocated();
            Throwable outcome = null;
            try {
                body.run(new Random(caseSeed));
            } catch (Throwable t) {
                outcome = t;
            }
            long used = allocated() - before;
            if (used > limits.allocatedBytes()) {
                throw new AssertionFailedError(where + " allocated " + (used >> 20) + " MiB, more than "
                        + (limits.allocatedBytes() >> 20) + " MiB", outcome);
            }
            check(where, named, outcome);
        }, () -> where + " did not finish within " + limits.time());
    }

    private static void check(String where, String named, Throwable outcome) {
        if (outcome == null) {
            return;
        }
        if (outcome instanceof AssertionFailedError a) {
            throw a;
        }
        // GraphException is graph-surgery's own user-facing error (an ONNX file that cannot be read or rewritten).
        if (!(outcome instanceof VlmscopeException) && !(outcome instanceof GraphException)) {
            throw new AssertionFailedError(where + " threw " + outcome.getClass().getName()
                    + " instead of a VlmscopeException: " + outcome.getMessage(), outcome);
        }
        String message = outcome.getMessage();
        if (message == null || message.isBlank() || message.contains("\n") || message.contains("\r")) {
            throw new AssertionFailedError(where + ": the message is not one line: " + message, outcome);
        }
        if (message.contains("java.") || message.contains("Exception") || message.contains("Source: ")) {
            throw new AssertionFailedError(where + ": the message shows Java or parser internals: " + message,
                    outcome);
        }
        if (named != null && !message.contains(named)) {
            throw new AssertionFailedError(where + ": the message does not name " + named + ": " + message,
                    outcome);
        }
    }

    private static long allocated() {
        return ((com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean())
                .getCurrentThreadAllocatedBytes();
    }
}
