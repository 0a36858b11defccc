package org.vlmscope.cli;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.NoSuchFileException;
import java.nio.file.NotDirectoryException;
import org.vlmscope.core.BadArgumentException;
import org.vlmscope.core.VlmscopeException;
import org.vlmscope.graph.GraphException;
import picocli.CommandLine;
import picocli.CommandLine.IExecutionExceptionHandler;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.ParseResult;

/**
 * Turns a failure inside a command into exit code 1 and one line {@code vlmscope: error: <message>}. The
 * libraries' user-facing exceptions and I/O errors already say what went wrong, so their stack traces are
 * noise unless {@code --verbose} asks for them; anything else is a bug, reported with its trace.
 *
 * <p>A {@link BadArgumentException} is a usage error found only once the model is known (a layer out of range,
 * a position beyond the sequence): it is answered exactly like one picocli finds while parsing, with the message,
 * the usage and exit code 2, so a script cannot tell when the check happened.
 */
final class ErrorHandler implements IExecutionExceptionHandler {
    static final int FAILURE = 1;

    @Override
    public int handleExecutionException(Exception ex, CommandLine commandLine, ParseResult parseResult)
            throws Exception {
        if (ex instanceof BadArgumentException) {
            return commandLine.getParameterExceptionHandler().handleParseException(
                    new ParameterException(commandLine, ex.getMessage(), ex),
                    parseResult.originalArgs().toArray(String[]::new));
        }
        var err = commandLine.getErr();
        String message = userMessage(ex);
        if (message != null) {
            err.println("vlmscope: error: " + message);
            if (verbose(parseResult)) {
                ex.printStackTrace(err);
            }
        } else {
            err.println("vlmscope: internal error: " + ex);
            ex.printStackTrace(err);
        }
        err.flush();
        return FAILURE;
    }

    /** The message to show for an expected failure, or null when {@code ex} is a bug. */
    static String userMessage(Throwable ex) {
        if (ex instanceof VlmscopeException || ex instanceof GraphException) {
            return ex.getMessage();
        }
        if (ex instanceof UncheckedIOException u) {
            return ioMessage(u.getCause());
        }
        if (ex instanceof IOException io) {
            return ioMessage(io);
        }
        return null;
    }

    /** File-system exceptions carry only the path as their message; say what happened to it. */
    private static String ioMessage(IOException e) {
        if (e instanceof FileSystemException f) {
            String what = e instanceof NoSuchFileException ? "no such file or directory"
                    : e instanceof AccessDeniedException ? "permission denied"
                    : e instanceof FileAlreadyExistsException ? "already exists"
                    : e instanceof NotDirectoryException ? "not a directory"
                    : f.getReason() != null ? f.getReason() : e.getClass().getSimpleName();
            return f.getFile() + ": " + what + (f.getOtherFile() != null ? " (" + f.getOtherFile() + ")" : "");
        }
        return e.getMessage() != null ? e.getMessage() : e.getClass().getSimpleName();
    }

    /** Whether --verbose was given on the top command or on any subcommand (it is inherited). */
    private static boolean verbose(ParseResult parseResult) {
        for (ParseResult pr = parseResult; pr != null; pr = pr.subcommand()) {
            if (pr.hasMatchedOption("--verbose")) {
                return true;
            }
        }
        return false;
    }
}
